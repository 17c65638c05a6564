package app

import (
	"bytes"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/scalebench/scalebench/internal/results"
	"github.com/scalebench/scalebench/internal/runner"
)

func TestProgressLineFits(t *testing.T) {
	for _, width := range []int{20, 40, 60, 80, 120, 200} {
		for _, st := range []struct{ done, steps int }{{0, 24}, {2, 24}, {23, 24}, {24, 24}, {999, 1000}} {
			line := progressLine(width, st.done, st.steps, 83*time.Minute, 2*time.Hour+5*time.Second)
			if n := utf8.RuneCountInString(line); n > width-1 {
				t.Errorf("width %d, %d/%d: %d columns: %q", width, st.done, st.steps, n, line)
			}
			if strings.ContainsAny(line, "\n\r") {
				t.Errorf("line breaks in %q", line)
			}
		}
	}
	// At 80 columns the line keeps its bar and counts measurements: the
	// one running, of all.
	line := progressLine(80, 2, 24, 35*time.Second, 70*time.Second)
	for _, want := range []string{"measurement 3/24 [", "]", "8%", "0:35 elapsed", "~1:10 left"} {
		if !strings.Contains(line, want) {
			t.Errorf("80 columns: %q lacks %q", line, want)
		}
	}
	if got := progressLine(80, 24, 24, time.Minute, 0); !strings.HasPrefix(got, "measurement 24/24 [========") || strings.Contains(got, "left") {
		t.Errorf("finished: %q", got)
	}
}

// TestETA checks the time left: exact when measurements take the
// scenario's estimate, and moved by a bounded share when they do not.
func TestETA(t *testing.T) {
	const steps = 24
	p := 10 * time.Second
	e := eta{prior: p}
	if got := e.left(0, steps, 0); got != steps*p {
		t.Errorf("before any measurement: %v, want %v", got, steps*p)
	}
	// Measurements exactly as estimated: the estimate falls by one
	// measurement per step, never jumping.
	for i := 1; i <= steps; i++ {
		if got, want := e.left(i, steps, time.Duration(i)*p), time.Duration(steps-i)*p; got != want {
			t.Errorf("after %d on time: %v, want %v", i, got, want)
		}
	}
	// A first measurement three times the estimate (a cold start): the
	// naive elapsed/done estimate would triple the time left; this one
	// moves it by the measurement's share.
	naive := 23 * 3 * p
	got := e.left(1, steps, 3*p)
	if got >= naive/2 || got > 23*p*3/2 {
		t.Errorf("after one slow measurement: %v left (naive %v)", got, naive)
	}
	// Measurements alternating between half and one and a half times the
	// estimate: beyond the one measurement it counts off, the time left
	// moves by at most a few measurements' worth per step, where
	// elapsed/done × remaining swings by ten.
	prev, elapsed := e.left(0, steps, 0), time.Duration(0)
	naivePrev, naiveJump := time.Duration(0), time.Duration(0)
	for i := 1; i <= steps; i++ {
		d := p / 2
		if i%2 == 0 {
			d = 3 * p / 2
		}
		elapsed += d
		cur := e.left(i, steps, elapsed)
		if jump := (cur - (prev - e.per(i-1, elapsed-d))).Abs(); jump > 5*p/2 {
			t.Errorf("step %d: time left jumps %v → %v", i, prev, cur)
		}
		naive := elapsed / time.Duration(i) * time.Duration(steps-i)
		if i > 1 {
			naiveJump = max(naiveJump, (naive - (naivePrev - (elapsed-d)/time.Duration(i-1))).Abs())
		}
		prev, naivePrev = cur, naive
	}
	if naiveJump <= 5*p/2 {
		t.Errorf("the naive estimate jumps only %v: the check above proves nothing", naiveJump)
	}
	// During a measurement the time left counts down, but not below the
	// measurements still to come.
	if got := e.leftNow(2, steps, 2*p, p/2); got != 22*p-p/2 {
		t.Errorf("mid-measurement: %v", got)
	}
	if got := e.leftNow(2, steps, 2*p, 5*p); got != 21*p {
		t.Errorf("overrunning measurement: %v, want %v", got, 21*p)
	}
	// Without an estimate it is the observed mean.
	if got := (eta{}).left(4, 8, 40*time.Second); got != 40*time.Second {
		t.Errorf("no estimate: %v", got)
	}
}

// TestProgressPlain checks the lines written when stderr is not a
// terminal: one per measurement, counting measurements.
func TestProgressPlain(t *testing.T) {
	var b bytes.Buffer
	p := newProgress(&b, 24, 240*time.Second, false)
	p.step(runner.Progress{Step: 3, Steps: 24, Params: results.Params{GOMAXPROCS: 1, Workers: 4, Replicas: 1},
		Result: results.Repeat{Throughput: 80}, Elapsed: 30 * time.Second})
	p.finish()
	if got := b.String(); !strings.HasPrefix(got, "measurement  3/24: ") || !strings.Contains(got, "left)") {
		t.Errorf("plain progress: %q", got)
	}
}
