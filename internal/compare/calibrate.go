package compare

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/scalebench/scalebench/internal/format"
	"github.com/scalebench/scalebench/internal/metric"
)

// CalibrationRun is one A/A or A/B run of a calibration: the gate's exit
// code, how long the run took and why the gate stopped.
type CalibrationRun struct {
	Code   ExitCode      `json:"exit_code"`
	Took   time.Duration `json:"took_ns"`
	Stop   Stop          `json:"stop"`
	Rounds int           `json:"rounds"`
}

// Calibration is what a machine and a scenario let the A/B gate see: how
// often it fails an A/A run (false alarms), how often it fails a head made
// slower on purpose (detections), how long it takes, and the smallest
// slowdown it finds within its time budget.
type Calibration struct {
	Scenario string        `json:"scenario"`
	CPUs     int           `json:"cpus"`
	Busy     int           `json:"busy_cores,omitempty"`
	Gate     string        `json:"gate"`
	Budget   time.Duration `json:"budget_ns"`
	// Effect is the head's synthetic slowdown in the A/B runs (0.1: 10%
	// more CPU work per job).
	Effect float64          `json:"effect"`
	AA     []CalibrationRun `json:"aa"`
	AB     []CalibrationRun `json:"ab"`
	// Smallest is the smallest slowdown the gate fails in at least Power
	// of simulated runs within the budget; NaN when none up to
	// MaxSimulatedEffect; Simulated is false when it could not be estimated.
	Smallest  float64 `json:"smallest_effect"`
	Power     float64 `json:"power"`
	Simulated bool    `json:"simulated"`
}

// MaxSimulatedEffect bounds the search for the smallest detectable effect.
const MaxSimulatedEffect = 0.5

// Rate returns k of n as a fraction with its exact (Clopper–Pearson) 95%
// interval.
func Rate(k, n int) (rate, lo, hi float64) {
	if n == 0 {
		return math.NaN(), 0, 1
	}
	rate = float64(k) / float64(n)
	lo, hi = 0, 1
	if k > 0 {
		lo = distuv.Beta{Alpha: float64(k), Beta: float64(n - k + 1)}.Quantile(0.025)
	}
	if k < n {
		hi = distuv.Beta{Alpha: float64(k + 1), Beta: float64(n - k)}.Quantile(0.975)
	}
	return rate, lo, hi
}

// failures counts the runs that failed the gate (exit 1).
func failures(runs []CalibrationRun) int {
	n := 0
	for _, r := range runs {
		if r.Code == ExitWorse {
			n++
		}
	}
	return n
}

// medianTook is the median duration of runs (of those failing the gate
// when failed is true).
func medianTook(runs []CalibrationRun, failed bool) time.Duration {
	var ds []time.Duration
	for _, r := range runs {
		if !failed || r.Code == ExitWorse {
			ds = append(ds, r.Took)
		}
	}
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	if len(ds)%2 == 1 {
		return ds[len(ds)/2]
	}
	return (ds[len(ds)/2-1] + ds[len(ds)/2]) / 2
}

// Lines returns the calibration as a table: one line per kind of run,
// then the smallest detectable slowdown.
func (c *Calibration) Lines() []string {
	row := func(kind string, runs []CalibrationRun, what string) string {
		k := failures(runs)
		rate, lo, hi := Rate(k, len(runs))
		med := "–"
		if d := medianTook(runs, what == "detected"); d > 0 {
			med = shortDuration(d)
		}
		return fmt.Sprintf("%-26s %4d runs  %s %3d  (%s, 95%% CI %s–%s)  median time to verdict %s",
			kind, len(runs), what, k, pct(rate), pct(lo), pct(hi), med)
	}
	out := []string{
		row("A/A (same build twice)", c.AA, "false alarms"),
		row(fmt.Sprintf("A/B (head %s slower)", pct(c.Effect)), c.AB, "detected"),
	}
	switch {
	case !c.Simulated:
		out = append(out, "smallest slowdown found: not estimated (no complete A/A and A/B rounds to simulate from)")
	case math.IsNaN(c.Smallest):
		out = append(out, fmt.Sprintf("smallest slowdown found in %s of runs within %s: none up to %s", pct(c.Power), c.budget(), pct(MaxSimulatedEffect)))
	default:
		out = append(out, fmt.Sprintf("smallest slowdown found in %s of runs within %s: about %s (simulated from the A/A rounds, each metric moving as it did in the A/B runs)",
			pct(c.Power), c.budget(), pct(math.Round(c.Smallest*200)/200)))
	}
	return out
}

func (c *Calibration) budget() string {
	if c.Budget <= 0 {
		return "the planned rounds"
	}
	return shortDuration(c.Budget)
}

// WriteText writes the calibration with a header naming the scenario,
// the machine and the gate.
func (c *Calibration) WriteText(w io.Writer) error {
	var b strings.Builder
	busy := ""
	if c.Busy > 0 {
		busy = fmt.Sprintf(", %d of them kept busy by another process", c.Busy)
	}
	fmt.Fprintf(&b, "calibration of %s on this machine (%d CPUs%s), gate %s, budget %s:\n", c.Scenario, c.CPUs, busy, c.Gate, c.budget())
	for _, l := range c.Lines() {
		b.WriteString("  " + l + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteMarkdown writes the calibration as a Markdown table.
func (c *Calibration) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	busy := ""
	if c.Busy > 0 {
		busy = fmt.Sprintf(", %d kept busy by another process", c.Busy)
	}
	fmt.Fprintf(&b, "### Gate calibration: %s\n\n", c.Scenario)
	fmt.Fprintf(&b, "%d CPUs%s; gate `%s`; time budget %s.\n\n", c.CPUs, busy, c.Gate, c.budget())
	b.WriteString("| runs | kind | gate failed | rate [95% CI] | median time to verdict |\n| ---: | --- | ---: | --- | ---: |\n")
	for _, k := range []struct {
		name string
		runs []CalibrationRun
		det  bool
	}{{"A/A (same build twice): false alarms", c.AA, false}, {fmt.Sprintf("A/B (head %s slower): detections", pct(c.Effect)), c.AB, true}} {
		n := failures(k.runs)
		rate, lo, hi := Rate(n, len(k.runs))
		med := "–"
		if d := medianTook(k.runs, k.det); d > 0 {
			med = shortDuration(d)
		}
		fmt.Fprintf(&b, "| %d | %s | %d | %s [%s, %s] | %s |\n", len(k.runs), k.name, n, pct(rate), pct(lo), pct(hi), med)
	}
	lines := c.Lines()
	fmt.Fprintf(&b, "\n%s.\n", strings.ToUpper(lines[2][:1])+lines[2][1:])
	_, err := io.WriteString(w, b.String())
	return err
}

func pct(f float64) string { return format.Percent(f) }

// shortDuration writes d to the second, without zero units: "2m", "1m30s".
func shortDuration(d time.Duration) string {
	s := d.Round(time.Second).String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// Response is how a slowdown moves each metric of each pair: the log of
// head/base per unit of slowdown, by pair label and metric.
type Response map[string]map[metric.Metric]float64

// ResponseOf measures Response from A/B runs made with slowdown effect:
// the median over the runs of each row's log ratio, divided by effect.
func ResponseOf(ab []*Result, effect float64) Response {
	logs := map[string]map[metric.Metric][]float64{}
	for _, res := range ab {
		for _, r := range res.Rows {
			if !r.Paired || !(r.Ratio > 0) {
				continue
			}
			l := r.Key.label()
			if logs[l] == nil {
				logs[l] = map[metric.Metric][]float64{}
			}
			logs[l][r.Metric] = append(logs[l][r.Metric], math.Log(r.Ratio))
		}
	}
	out := Response{}
	for l, ms := range logs {
		out[l] = map[metric.Metric]float64{}
		for m, xs := range ms {
			slices.Sort(xs)
			out[l][m] = medianSorted(xs) / effect
		}
	}
	return out
}

// simRound is one round of one pair: each metric's base and head values.
type simRound map[metric.Metric][2]float64

// SmallestEffect estimates, in fake time, the smallest slowdown that the
// sequential gate g fails in at least power of 100 simulated runs: each
// run measures planned rounds and then as many as g asks for, each pair's
// round costing cost. A step of g.StepRounds rounds (a session of a sliced
// run; one round otherwise) is drawn whole from one A/A run of aa, as
// consecutive rounds of the pair, so that what a session's rounds share
// is kept; its builds are swapped with probability ½ (as the random order
// would), and the head's values moved by the slowdown times resp. It
// returns NaN when no slowdown up to MaxSimulatedEffect is found that
// often, and false when aa holds no complete step to draw from.
func SmallestEffect(aa []PairedInput, resp Response, g Sequential, planned int, cost time.Duration, power float64, seed uint64) (float64, bool) {
	step := max(g.StepRounds, 1)
	pools := map[string][][]simRound{} // by pair: steps of step rounds
	var labels []string
	keys := map[string]Key{}
	for _, in := range aa {
		byPair := map[string]map[int]simRound{}
		for _, r := range in.Rounds {
			if !g.Options.Gate.Gates(r.Metric) {
				continue
			}
			l := r.Key.label()
			if _, ok := keys[l]; !ok {
				keys[l] = r.Key
				labels = append(labels, l)
			}
			if byPair[l] == nil {
				byPair[l] = map[int]simRound{}
			}
			for i := range min(len(r.Base), len(r.Head)) {
				b, h := r.Base[i], r.Head[i]
				if !(b > 0 && h > 0) || math.IsInf(b, 0) || math.IsInf(h, 0) {
					continue
				}
				if byPair[l][i] == nil {
					byPair[l][i] = simRound{}
				}
				byPair[l][i][r.Metric] = [2]float64{b, h}
			}
		}
		for l, rounds := range byPair {
			// Steps are the run's rounds step by step, in their order (a
			// session's pairs of slices have consecutive indices).
			last := 0
			for i := range rounds {
				last = max(last, i)
			}
			for start := 0; start+step <= last+1; start += step {
				block := make([]simRound, 0, step)
				for i := start; i < start+step; i++ {
					if r, ok := rounds[i]; ok {
						block = append(block, r)
					}
				}
				if len(block) > 0 {
					pools[l] = append(pools[l], block)
				}
			}
		}
	}
	for _, l := range labels {
		if len(pools[l]) == 0 {
			return math.NaN(), false
		}
	}
	if len(labels) == 0 {
		return math.NaN(), false
	}
	detects := func(effect float64) bool {
		rng := rand.New(rand.NewPCG(seed, math.Float64bits(effect)))
		const runs = 100
		found := 0
		for range runs {
			if simulateGate(rng, labels, keys, pools, resp, effect, g, planned, cost) {
				found++
			}
		}
		return float64(found) >= power*runs
	}
	if !detects(MaxSimulatedEffect) {
		return math.NaN(), true
	}
	lo, hi := 0.0, MaxSimulatedEffect
	for hi-lo > 0.005 {
		mid := (lo + hi) / 2
		if detects(mid) {
			hi = mid
		} else {
			lo = mid
		}
	}
	return hi, true
}

// simulateGate runs g once over steps drawn from pools and tells whether
// it failed (exit 1).
func simulateGate(rng *rand.Rand, labels []string, keys map[string]Key, pools map[string][][]simRound, resp Response, effect float64, g Sequential, planned int, cost time.Duration) bool {
	clock := &simClock{now: time.Unix(0, 0)}
	g.Clock = clock
	g.Start()
	rounds := map[string][]*Rounds{}
	for _, l := range labels {
		seen := map[metric.Metric]bool{}
		for _, block := range pools[l] {
			for _, r := range block {
				for m := range r {
					seen[m] = true
				}
			}
		}
		for _, mi := range metric.Metrics() {
			if seen[mi.Metric] {
				rounds[l] = append(rounds[l], &Rounds{Key: keys[l], Metric: mi.Metric})
			}
		}
	}
	// measure adds one step of pair l: a block of rounds drawn whole, its
	// builds swapped together.
	measure := func(l string) {
		pool := pools[l]
		block := pool[rng.IntN(len(pool))]
		swap := rng.IntN(2) == 0
		for _, r := range block {
			for _, x := range rounds[l] {
				b, h := math.NaN(), math.NaN()
				if v, ok := r[x.Metric]; ok {
					b, h = v[0], v[1]
					if swap {
						b, h = h, b
					}
					h *= math.Exp(effect * resp[l][x.Metric])
				}
				x.Base, x.Head = append(x.Base, b), append(x.Head, h)
			}
			clock.now = clock.now.Add(cost)
		}
	}
	input := func() PairedInput {
		var in PairedInput
		for _, l := range labels {
			for _, x := range rounds[l] {
				in.Rounds = append(in.Rounds, *x)
			}
		}
		return in
	}
	for range max(planned/max(g.StepRounds, 1), 1) {
		for _, l := range labels {
			measure(l)
		}
	}
	for range 100_000 {
		dec, err := g.Next(input())
		if err != nil {
			return false
		}
		if dec.Stop != StopNone {
			return dec.Result.Outcome().Code == ExitWorse
		}
		for _, k := range dec.Next {
			measure(k.label())
		}
	}
	return false
}

// simClock is the fake clock of a simulated run.
type simClock struct{ now time.Time }

func (c *simClock) Now() time.Time { return c.now }
