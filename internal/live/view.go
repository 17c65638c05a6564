// Package live is the live view of a run: a page that fills in while the
// run measures and ends as its report. A View follows a run, this
// process's own (it is the runner's Watcher) or one started elsewhere (a
// Follower reads its journal), renders the page's parts with the report's
// own code from the measurements so far, and publishes each part on an
// event stream as it changes; Serve serves the page and the stream.
//
// The view is never in the way of the measurement: the runner's calls only
// note what changed, rendering happens on goroutines of its own, at a
// bounded rate, on threads at the lowest CPU priority where the system has
// one, and only while someone watches.
package live

import (
	"bytes"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/scalebench/scalebench/internal/compare"
	"github.com/scalebench/scalebench/internal/results"
	"github.com/scalebench/scalebench/internal/runner"
	"github.com/scalebench/scalebench/internal/sse"
	"github.com/scalebench/scalebench/internal/worker"
	"github.com/scalebench/scalebench/report"
)

// Topics of the event stream: the parts of the page.
const (
	TopicHeader  = "header"  // the report's header: title, description, meta
	TopicPlan    = "plan"    // cells, blocks, measurements done and left, time left
	TopicCurrent = "current" // the measurement under way, bucket by bucket
	TopicReport  = "report"  // the report of the measurements so far
	TopicFinal   = "final"   // the finished report.html, which takes the page's place
)

// Options tune a View. Zero values take the defaults shown.
type Options struct {
	// PartEvery bounds how often the plan and the measurement under way
	// are drawn again (250ms); ReportEvery, the report (1s).
	PartEvery, ReportEvery time.Duration
	// Stream tunes the event stream.
	Stream sse.Options
	// Source names where the run is followed from, shown on the page: ""
	// for this process's own run, a journal's path for a Follower's.
	Source string
	// Always renders even when no one watches (for tests and benchmarks).
	Always bool
}

// View follows a run and publishes its live page's parts. Its methods are
// safe for concurrent use.
type View struct {
	opt    Options
	stream *sse.Stream

	mu       sync.Mutex
	state    report.LiveState
	run      *results.Run // header and measurements so far
	seen     map[int]bool // the measurements recorded, by step
	done     int
	planned  int
	started  time.Time
	heard    time.Time
	current  *measurement
	told     bool // a Measuring call came: the runner says what runs
	warnings []string
	final    []byte
	// What changed since it was last drawn.
	dirtyHeader, dirtyPlan, dirtyCurrent, dirtyReport bool

	wakeParts, wakeReport chan struct{}
	quit                  chan struct{}
	wg                    sync.WaitGroup
	closeOnce             sync.Once
}

// measurement is the measurement under way, with its buckets as the
// replicas sent them, merged by index.
type measurement struct {
	m       runner.Measuring
	buckets []bucket
}

type bucket struct {
	width        time.Duration
	jobs, errors int64
	latency      worker.Latencies // merged over replicas
	p50, p99     float64          // seconds, NaN when no job
	replicas     map[int]bool
}

// New returns a view waiting for a run, and starts its renderers; Close
// stops them.
func New(opt Options) *View {
	if opt.PartEvery <= 0 {
		opt.PartEvery = 250 * time.Millisecond
	}
	if opt.ReportEvery <= 0 {
		opt.ReportEvery = time.Second
	}
	v := &View{
		opt: opt, state: report.LiveWaiting, seen: map[int]bool{},
		wakeParts: make(chan struct{}, 1), wakeReport: make(chan struct{}, 1), quit: make(chan struct{}),
		dirtyPlan: true, dirtyCurrent: true,
	}
	so := opt.Stream
	connect := so.OnConnect
	so.OnConnect = func() {
		// Someone watches now: draw what was left undrawn meanwhile.
		v.kick()
		if connect != nil {
			connect()
		}
	}
	v.stream = sse.New(so)
	v.wg.Add(2)
	go v.renderParts()
	go v.renderReport()
	return v
}

// Stream is the view's event stream.
func (v *View) Stream() *sse.Stream { return v.stream }

// Close ends the event stream's clients, once each was sent what was
// published, and stops the renderers without waiting for a drawing under
// way to end (Wait does).
func (v *View) Close() {
	v.closeOnce.Do(func() {
		close(v.quit)
		v.stream.Close()
	})
}

// Wait waits until the renderers stopped, after Close.
func (v *View) Wait() { v.wg.Wait() }

var _ runner.Watcher = (*View)(nil)

// Begin implements runner.Watcher: the run starts (again, for a journal
// rewritten by a new run).
func (v *View) Begin(run *results.Run) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.run = run
	v.seen = map[int]bool{}
	v.done, v.planned = 0, len(run.Order)
	for _, c := range run.Cells {
		v.done += len(c.Repeats)
		for _, r := range c.Repeats {
			v.seen[r.Seq] = true
		}
	}
	v.started = run.Environment.Started
	if v.started.IsZero() {
		v.started = time.Now()
	}
	v.heard = v.started
	if v.final != nil {
		// A new run in a followed directory: the last one's report goes.
		v.stream.Drop(TopicFinal)
	}
	v.state, v.current, v.final = report.LiveRunning, nil, nil
	v.dirtyHeader, v.dirtyPlan, v.dirtyCurrent, v.dirtyReport = true, true, true, true
	v.kickLocked()
}

// begun reports whether a run began.
func (v *View) begun() bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.run != nil
}

// Measuring implements runner.Watcher.
func (v *View) Measuring(m runner.Measuring) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.told = true
	v.current = &measurement{m: m}
	v.planned = max(v.planned, m.Steps)
	v.dirtyPlan, v.dirtyCurrent = true, true
	v.kickLocked()
}

// maxBuckets bounds the buckets kept of one measurement, maxLatencies the
// values one bucket of a replica may count (a worker's latencies take at
// most 8 significant bits: 128 values per power of two).
const (
	maxBuckets   = 1 << 14
	maxLatencies = 1 << 13
)

// Bucket implements runner.Watcher.
func (v *View) Bucket(b runner.Bucket) {
	if !b.Latency.Valid() || len(b.Latency) > maxLatencies || b.Bucket >= maxBuckets || b.Jobs < 0 || b.Errors < 0 {
		return // not what a worker sends: leave the bucket out
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	c := v.current
	if c == nil || c.m.ID != b.ID || b.ID == "" {
		return // a bucket of a measurement that ended or was abandoned
	}
	for len(c.buckets) <= b.Bucket {
		c.buckets = append(c.buckets, bucket{})
	}
	bk := &c.buckets[b.Bucket]
	if bk.replicas == nil {
		bk.replicas = map[int]bool{}
	}
	if bk.replicas[b.Replica] {
		return
	}
	bk.replicas[b.Replica] = true
	bk.width = max(bk.width, b.Width)
	bk.jobs += b.Jobs
	bk.errors += b.Errors
	bk.latency = bk.latency.Merge(b.Latency)
	bk.p50, bk.p99 = math.NaN(), math.NaN()
	if bk.latency.Total() > 0 {
		bk.p50, bk.p99 = bk.latency.Quantile(0.50).Seconds(), bk.latency.Quantile(0.99).Seconds()
	}
	v.dirtyCurrent = true
	v.kickLocked()
}

// Recorded implements runner.Watcher.
func (v *View) Recorded(e results.Entry) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.run == nil || e.Cell < 0 || e.Cell >= len(v.run.Cells) || v.seen[e.Step] {
		return
	}
	v.seen[e.Step] = true
	c := &v.run.Cells[e.Cell]
	c.Repeats = append(c.Repeats, e.Result)
	v.done++
	v.heard = time.Now()
	if v.current != nil && v.current.m.Cell == e.Cell && v.current.m.Repeat == e.Result.Index {
		v.current = nil
	}
	v.dirtyPlan, v.dirtyCurrent, v.dirtyReport = true, true, true
	v.kickLocked()
}

// Warn adds a warning of the harness to the page.
func (v *View) Warn(err error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	const maxWarnings = 50
	if len(v.warnings) < maxWarnings {
		v.warnings = append(v.warnings, err.Error())
	}
	v.dirtyPlan = true
	v.kickLocked()
}

// Ended says the run measures no more: its report is being written.
func (v *View) Ended() {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.state == report.LiveRunning {
		v.state, v.current = report.LiveEnded, nil
		v.dirtyPlan, v.dirtyCurrent = true, true
		v.kickLocked()
	}
}

// Finish publishes the finished report page, which takes the live page's
// place in every browser showing it, and in every one that opens it from
// now on.
func (v *View) Finish(page []byte) {
	v.mu.Lock()
	v.final = page
	v.state, v.current = report.LiveEnded, nil
	v.mu.Unlock()
	v.stream.Publish(TopicFinal, page)
}

// title is the run's name, once known.
func (v *View) title() string {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.run == nil {
		return ""
	}
	return v.run.Scenario.Name
}

// Final is the finished report page, once published.
func (v *View) Final() []byte {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.final
}

// kick wakes the renderers.
func (v *View) kick() {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.kickLocked()
}

func (v *View) kickLocked() {
	if v.dirtyHeader || v.dirtyPlan || v.dirtyCurrent {
		select {
		case v.wakeParts <- struct{}{}:
		default:
		}
	}
	if v.dirtyReport {
		select {
		case v.wakeReport <- struct{}{}:
		default:
		}
	}
}

// watched reports whether anyone watches, or the view renders anyway.
func (v *View) watched() bool { return v.opt.Always || v.stream.Clients() > 0 }

// renderParts draws the header, the plan and the measurement under way
// when they changed, at most every PartEvery.
func (v *View) renderParts() {
	defer v.wg.Done()
	lowerPriority()
	for v.waitFor(v.wakeParts) {
		if v.watched() {
			v.drawParts()
		}
		if !v.pause(v.opt.PartEvery) {
			return
		}
	}
}

func (v *View) drawParts() {
	v.mu.Lock()
	header, plan, current := v.dirtyHeader, v.dirtyPlan, v.dirtyCurrent
	v.dirtyHeader, v.dirtyPlan, v.dirtyCurrent = false, false, false
	l := v.snapshot()
	v.mu.Unlock()
	if header && l.Run != nil {
		// The header of the run without its measurements: no charts to draw.
		if h, _, err := report.Body(compare.Analyze(headerOnly(l.Run))); err == nil {
			v.stream.Publish(TopicHeader, h)
		}
	}
	var buf bytes.Buffer
	if plan && report.LivePlan(&buf, &l) == nil {
		v.stream.Publish(TopicPlan, bytes.Clone(buf.Bytes()))
	}
	buf.Reset()
	if current && report.LiveCurrent(&buf, &l) == nil {
		v.stream.Publish(TopicCurrent, bytes.Clone(buf.Bytes()))
	}
}

// renderReport draws the report of the measurements so far when more were
// recorded, at most every ReportEvery.
func (v *View) renderReport() {
	defer v.wg.Done()
	lowerPriority()
	for v.waitFor(v.wakeReport) {
		if v.watched() {
			v.drawReport()
		}
		if !v.pause(v.opt.ReportEvery) {
			return
		}
	}
}

func (v *View) drawReport() {
	v.mu.Lock()
	dirty := v.dirtyReport && v.run != nil && v.final == nil
	v.dirtyReport = false
	var run *results.Run
	if dirty {
		run = copyRun(v.run)
	}
	v.mu.Unlock()
	if !dirty {
		return
	}
	// The report of the measurements so far, not of a run that stopped:
	// no banner saying it was interrupted.
	run.Interrupted = false
	if _, main, err := report.Body(compare.Analyze(run)); err == nil {
		v.stream.Publish(TopicReport, main)
	}
}

// waitFor waits for a wake-up; false once the view is closed.
func (v *View) waitFor(wake <-chan struct{}) bool {
	select {
	case <-wake:
		return true
	case <-v.quit:
		return false
	}
}

// pause waits d; false once the view is closed.
func (v *View) pause(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-v.quit:
		return false
	}
}

// snapshot is the page's view of the run now; v.mu must be held.
func (v *View) snapshot() report.Live {
	l := report.Live{
		State: v.state, Done: v.done, Planned: v.planned, Started: v.started, Heard: v.heard,
		Left: -1, Warnings: slices.Clone(v.warnings), Source: v.opt.Source,
	}
	if v.run == nil {
		return l
	}
	l.Run = copyRun(v.run)
	if elapsed := time.Since(v.started); v.done > 0 && elapsed > 0 {
		l.Left = time.Duration(float64(elapsed) / float64(v.done) * float64(max(v.planned-v.done, 0)))
	}
	cur := v.current
	if cur == nil && !v.told && v.state == report.LiveRunning && v.done < len(v.run.Order) {
		// Followed from a journal: the next step of the plan runs now.
		s := v.run.Order[v.done]
		cur = &measurement{m: runner.Measuring{Step: v.done, Steps: v.planned, Cell: s.Cell, Repeat: s.Repeat, Started: v.heard}}
	}
	if cur != nil {
		m := cur.m
		l.Current = &report.Measurement{
			Step: m.Step, Cell: m.Cell, Repeat: m.Repeat, Attempt: m.Attempt, Replicas: m.Replicas,
			Started: m.Started, Warmup: m.Warmup, Window: m.Window, Bucket: m.Bucket,
		}
		for _, b := range cur.buckets {
			lb := report.Bucket{Width: b.width, Jobs: b.jobs, Errors: b.errors, P50: b.p50, P99: b.p99}
			if b.width <= 0 {
				// A bucket none sent: an empty one.
				lb.Width, lb.P50, lb.P99 = m.Bucket, math.NaN(), math.NaN()
			}
			l.Current.Buckets = append(l.Current.Buckets, lb)
		}
	}
	return l
}

// copyRun copies run's header and its cells' lists of repeats, so that
// it can be read while run takes more.
func copyRun(run *results.Run) *results.Run {
	out := *run
	out.Cells = slices.Clone(run.Cells)
	for i := range out.Cells {
		out.Cells[i].Repeats = slices.Clone(run.Cells[i].Repeats)
	}
	out.Order = slices.Clone(run.Order)
	return &out
}

// headerOnly is run without its measurements.
func headerOnly(run *results.Run) *results.Run {
	out := *run
	out.Cells = make([]results.Cell, len(run.Cells))
	for i, c := range run.Cells {
		out.Cells[i] = results.Cell{Params: c.Params}
	}
	return &out
}
