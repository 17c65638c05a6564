package live

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/scalebench/scalebench/internal/compare"
	"github.com/scalebench/scalebench/internal/outdir"
	"github.com/scalebench/scalebench/internal/results"
	"github.com/scalebench/scalebench/report"
)

// reportWait is how long a follower waits, once results.json is written,
// for the run to write report.html before it draws the report itself.
const reportWait = 30 * time.Second

// Follow follows the run recorded in the output directory dir for v,
// checking every interval, until ctx ends: the run's journal as it grows
// (a new run's journal starts it over), then, once the run wrote its
// results, its report.html as the final page. A directory without either
// is waited on. Problems reading the directory are shown on the page,
// each once, and retried.
func Follow(ctx context.Context, dir string, v *View, every time.Duration) error {
	f := &follower{dir: dir, view: v, warned: map[string]bool{}}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		f.poll()
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// follower is the state of Follow.
type follower struct {
	dir  string
	view *View
	// journal is the journal's size and time when last read.
	journal struct {
		size int64
		mod  time.Time
	}
	started time.Time // the followed run's start
	// resultsSeen is when results.json was first seen; final says the
	// final page was published, of the run that wrote results at resultsMod.
	resultsSeen time.Time
	resultsMod  time.Time
	final       bool
	warned      map[string]bool
}

func (f *follower) poll() {
	resultsPath := filepath.Join(f.dir, outdir.ResultsFile)
	journalPath := filepath.Join(f.dir, results.JournalName)
	if fi, err := os.Stat(resultsPath); err == nil {
		if f.final && fi.ModTime().Equal(f.resultsMod) {
			return // this run's report is on the page
		}
		f.finish(resultsPath, fi.ModTime())
		return
	}
	f.final, f.resultsSeen = false, time.Time{}
	fi, err := os.Stat(journalPath)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return // waiting for a run
	case err != nil:
		f.warn(err)
		return
	case fi.Size() == f.journal.size && fi.ModTime().Equal(f.journal.mod):
		return
	}
	run, _, err := results.ReadJournal(journalPath)
	if err != nil {
		f.warn(err)
		return
	}
	f.journal.size, f.journal.mod = fi.Size(), fi.ModTime()
	if !run.Environment.Started.Equal(f.started) || !f.view.begun() {
		f.started = run.Environment.Started
		f.view.Begin(headerOnly(run))
	}
	var entries []results.Entry
	for i, c := range run.Cells {
		for _, r := range c.Repeats {
			entries = append(entries, results.Entry{Step: r.Seq, Cell: i, Result: r})
		}
	}
	slices.SortFunc(entries, func(a, b results.Entry) int { return a.Step - b.Step })
	for _, e := range entries {
		f.view.Recorded(e)
	}
}

// finish publishes the report of the run that wrote results.json at mod:
// its report.html once written, or after reportWait a report drawn from
// results.json.
func (f *follower) finish(resultsPath string, mod time.Time) {
	if f.resultsSeen.IsZero() || !f.resultsMod.Equal(mod) {
		f.resultsSeen, f.resultsMod = time.Now(), mod
		f.view.Ended()
	}
	htmlPath := filepath.Join(f.dir, outdir.ReportFiles[0])
	if fi, err := os.Stat(htmlPath); err == nil && !fi.ModTime().Before(mod) {
		page, err := os.ReadFile(htmlPath)
		if err == nil && bytes.Contains(page, []byte("</html>")) {
			f.view.Finish(page)
			f.final = true
			return
		}
	}
	if time.Since(f.resultsSeen) < reportWait {
		return
	}
	run, err := results.Read(resultsPath)
	if err != nil {
		f.warn(err)
		return
	}
	var buf bytes.Buffer
	if err := report.HTML(&buf, compare.Analyze(run)); err != nil {
		f.warn(err)
		return
	}
	f.view.Finish(buf.Bytes())
	f.final = true
}

// warn shows err on the page, once.
func (f *follower) warn(err error) {
	if msg := err.Error(); !f.warned[msg] {
		f.warned[msg] = true
		f.view.Warn(err)
	}
}
