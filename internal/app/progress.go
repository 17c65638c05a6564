package app

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/term"

	"github.com/scalebench/scalebench/internal/runner"
)

// progress shows the run's progress: on a terminal one line, redrawn in
// place, that fits the terminal's width; otherwise one plain line per
// finished measurement.
type progress struct {
	w     io.Writer
	quiet bool
	tty   bool
	width int // terminal columns
	steps int
	eta   eta
	start time.Time
	now   func() time.Time

	mu       sync.Mutex
	done     int       // measurements finished
	lastDone time.Time // when the last one finished
	stop     chan struct{}
	wg       sync.WaitGroup
}

// defaultWidth is the terminal width assumed when it cannot be read.
const defaultWidth = 80

// newProgress shows progress through steps measurements on w; estimate is
// the scenario's estimate of the whole run.
func newProgress(w io.Writer, steps int, estimate time.Duration, quiet bool) *progress {
	p := &progress{w: w, quiet: quiet, steps: steps, width: defaultWidth, now: time.Now}
	if steps > 0 {
		p.eta.prior = estimate / time.Duration(steps)
	}
	p.start = p.now()
	p.lastDone = p.start
	if quiet || !isTerminal(w) {
		return p
	}
	p.tty = true
	if f, ok := w.(*os.File); ok {
		if cols, _, err := term.GetSize(int(f.Fd())); err == nil && cols > 0 {
			p.width = cols
		}
	}
	p.redraw()
	// Redraw twice a second so the clock moves during a long measurement.
	p.stop = make(chan struct{})
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		t := time.NewTicker(500 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-p.stop:
				return
			case <-t.C:
				p.redraw()
			}
		}
	}()
	return p
}

// step records a finished measurement.
func (p *progress) step(s runner.Progress) {
	if p.quiet {
		return
	}
	p.mu.Lock()
	p.done = min(s.Step, p.steps)
	p.lastDone = p.now()
	left := p.eta.left(p.done, p.steps, p.lastDone.Sub(p.start))
	p.mu.Unlock()
	if p.tty {
		p.redraw()
		return
	}
	r := s.Result
	if r.Failure != "" {
		fmt.Fprintf(p.w, "measurement %*d/%d: %s repeat %d: FAILED: %s (elapsed %s, about %s left)\n",
			len(fmt.Sprint(s.Steps)), s.Step, s.Steps, s.Params.String(), s.Repeat+1, r.Failure,
			clock(s.Elapsed), clock(left))
		return
	}
	if s.Slices > 0 && r.Slice != nil {
		fmt.Fprintf(p.w, "measurement %*d/%d: %s session %d: %.1f jobs/s over %d slices, %d errors (elapsed %s, about %s left)\n",
			len(fmt.Sprint(s.Steps)), s.Step, s.Steps, s.Params.String(), r.Slice.Session+1, r.Throughput, s.Slices, r.Errors,
			clock(s.Elapsed), clock(left))
		return
	}
	fmt.Fprintf(p.w, "measurement %*d/%d: %s repeat %d: %.1f jobs/s, p50 %s, p99 %s, %d errors (elapsed %s, about %s left)\n",
		len(fmt.Sprint(s.Steps)), s.Step, s.Steps, s.Params.String(), s.Repeat+1, r.Throughput,
		ms(r.Latency.P50), ms(r.Latency.P99), r.Errors,
		clock(s.Elapsed), clock(left))
}

// redraw writes the progress line over the previous one.
func (p *progress) redraw() {
	p.mu.Lock()
	now := p.now()
	line := progressLine(p.width, p.done, p.steps, now.Sub(p.start),
		p.eta.leftNow(p.done, p.steps, p.lastDone.Sub(p.start), now.Sub(p.lastDone)))
	p.mu.Unlock()
	fmt.Fprintf(p.w, "\r%s\x1b[K", line)
}

func (p *progress) finish() {
	if !p.tty {
		return
	}
	close(p.stop)
	p.wg.Wait()
	p.redraw()
	fmt.Fprintln(p.w)
}

// progressLine renders the progress line in at most width-1 columns (the
// last column left free so a terminal never wraps): "measurement 3/24
// [=====>     ] 12%  0:35 elapsed, ~1:10 left". The bar shrinks, then
// goes, as the width narrows; the counts stay.
func progressLine(width, done, steps int, elapsed, left time.Duration) string {
	current := min(done+1, steps)
	if done >= steps {
		current = steps
	}
	head := fmt.Sprintf("measurement %d/%d", current, steps)
	pct := 0
	if steps > 0 {
		pct = 100 * done / steps
	}
	tail := fmt.Sprintf(" %3d%%  %s elapsed, ~%s left", pct, clock(elapsed), clock(left))
	if done >= steps {
		tail = fmt.Sprintf(" 100%%  %s elapsed", clock(elapsed))
	}
	room := width - 1 - utf8.RuneCountInString(head) - utf8.RuneCountInString(tail) - 3 // " [" and "]"
	const minBar, maxBar = 10, 40
	if room >= minBar {
		n := min(room, maxBar)
		fill := 0
		if steps > 0 {
			fill = n * done / steps
		}
		bar := strings.Repeat("=", fill)
		if fill < n {
			bar += ">" + strings.Repeat(" ", n-fill-1)
		}
		return head + " [" + bar + "]" + tail
	}
	line := head + tail
	if r := []rune(line); width > 1 && len(r) > width-1 {
		line = string(r[:width-1])
	}
	return line
}

// clock writes a duration as m:ss, or h:mm:ss from an hour.
func clock(d time.Duration) string {
	s := int(d.Round(time.Second) / time.Second)
	if s < 0 {
		s = 0
	}
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

// eta estimates the time left: the remaining measurements times a
// per-measurement time that starts at the scenario's estimate and moves
// towards the observed mean as measurements finish, the estimate counting
// as priorWeight measurements. One slow or fast measurement thus moves the
// estimate by a bounded share, not by its whole surprise times every
// measurement left.
type eta struct {
	prior time.Duration // the scenario's estimate of one measurement
}

// priorWeight is how many observed measurements the scenario's estimate
// counts as.
const priorWeight = 4

// per is the per-measurement time after done measurements in elapsed.
func (e eta) per(done int, elapsed time.Duration) time.Duration {
	if done <= 0 {
		return e.prior
	}
	if e.prior <= 0 {
		return elapsed / time.Duration(done)
	}
	return time.Duration((priorWeight*float64(e.prior) + float64(elapsed)) / float64(priorWeight+done))
}

// left is the time left when done of steps measurements finished in
// elapsed.
func (e eta) left(done, steps int, elapsed time.Duration) time.Duration {
	return time.Duration(max(steps-done, 0)) * e.per(done, elapsed)
}

// leftNow is left, counted down by the time the current measurement has
// run (since), but not below the measurements after it.
func (e eta) leftNow(done, steps int, elapsed, since time.Duration) time.Duration {
	per := e.per(done, elapsed)
	left := e.left(done, steps, elapsed)
	if steps-done <= 0 {
		return 0
	}
	floor := time.Duration(steps-done-1) * per
	return max(left-since, floor)
}
