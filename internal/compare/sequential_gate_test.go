package compare

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/scalebench/scalebench/internal/metric"
	"github.com/scalebench/scalebench/internal/testutil"
)

// fakeClock is a Clock moved by hand.
type fakeClock struct{ now time.Time }

func (c *fakeClock) Now() time.Time { return c.now }

// simPair is one cell of a simulated A/B run.
type simPair struct {
	key Key
	// throughput and CPU per job of the base build.
	throughput, cpuPerJob float64
	// slowdown is the head's extra CPU work (0.1 = 10%); throughputShare
	// is how much of it shows as lost throughput (CPU-bound: all).
	slowdown, throughputShare float64
	// noise is the spread of one measurement; cost the fake time one
	// build's measurement takes.
	noise float64
	cost  time.Duration
}

// simulatedRun runs the sequential gate over a simulated A/B run of
// pairs: planned rounds first, then as many as the gate asks for, each
// measurement advancing the fake clock. Each round's builds are measured
// in random order; a machine-wide burst hits both builds of a round now
// and then, and a burst on one slot only hits one of them.
func simulatedRun(t *testing.T, seed uint64, pairs []simPair, g Sequential, planned int) (Decision, time.Duration) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 99))
	clock := &fakeClock{now: time.Unix(1e9, 0)}
	g.Clock = clock
	g.Start()
	start := clock.now
	rounds := make([]map[metric.Metric]*Rounds, len(pairs))
	for i, p := range pairs {
		rounds[i] = map[metric.Metric]*Rounds{
			metric.Throughput: {Key: p.key, Metric: metric.Throughput},
			metric.CPUPerJob:  {Key: p.key, Metric: metric.CPUPerJob},
		}
	}
	measure := func(i int) {
		p := pairs[i]
		shared := 0.0
		if rng.IntN(6) == 0 {
			shared = -0.3 * rng.Float64() // both builds of the round lose
		}
		var tp, cpj [2]float64 // base, head
		first := rng.IntN(2)
		for slot := range 2 {
			b := first ^ slot // which build is in this slot
			x := shared + p.noise*rng.NormFloat64()
			if rng.IntN(10) == 0 {
				x -= 0.25 // a burst on this slot only
			}
			work := 1.0
			if b == 1 {
				work += p.slowdown
			}
			tp[b] = p.throughput * math.Exp(x) / (1 + p.throughputShare*(work-1))
			cpj[b] = p.cpuPerJob * work * math.Exp(p.noise/2*rng.NormFloat64())
			clock.now = clock.now.Add(p.cost)
		}
		r := rounds[i]
		r[metric.Throughput].Base = append(r[metric.Throughput].Base, tp[0])
		r[metric.Throughput].Head = append(r[metric.Throughput].Head, tp[1])
		r[metric.CPUPerJob].Base = append(r[metric.CPUPerJob].Base, cpj[0])
		r[metric.CPUPerJob].Head = append(r[metric.CPUPerJob].Head, cpj[1])
	}
	input := func() PairedInput {
		var in PairedInput
		for i := range pairs {
			in.Rounds = append(in.Rounds, *rounds[i][metric.Throughput], *rounds[i][metric.CPUPerJob])
		}
		return in
	}
	for range planned {
		for i := range pairs {
			measure(i)
		}
	}
	for step := 0; ; step++ {
		dec, err := g.Next(input())
		if err != nil {
			t.Fatal(err)
		}
		if dec.Stop != StopNone {
			return dec, clock.now.Sub(start)
		}
		if step > 10000 {
			t.Fatal("the gate never stopped")
		}
		for _, k := range dec.Next {
			i := slices.IndexFunc(pairs, func(p simPair) bool { return p.key.Label == k.Label })
			if i < 0 {
				t.Fatalf("the gate asked for unknown pair %q", k.Label)
			}
			for range max(g.StepRounds, 1) {
				measure(i)
			}
		}
	}
}

// ciPairs is scenarios/ci.yaml as simulated: an I/O-bound pair whose CPU
// per job shows the slowdown but not its throughput, and a CPU-bound pair
// that shows both; a measurement costs 1.35 s.
func ciPairs(slowdown float64) []simPair {
	return []simPair{
		{key: Key{Label: "workers=4"}, throughput: 130, cpuPerJob: 0.002, slowdown: slowdown * 0.7, noise: 0.03, cost: 1350 * time.Millisecond},
		{key: Key{Label: "workers=32"}, throughput: 400, cpuPerJob: 0.0025, slowdown: slowdown, throughputShare: 1, noise: 0.05, cost: 1350 * time.Millisecond},
	}
}

func ciGate() Sequential {
	return Sequential{
		Options: Options{Gate: Gate{Tolerances: map[metric.Metric]float64{metric.Throughput: 0.05, metric.CPUPerJob: 0.05}, Only: []metric.Metric{metric.Throughput, metric.CPUPerJob}}},
		Budget:  2 * time.Minute,
	}
}

// TestSequentialGateAANeverFailsBeyondItsGuarantee: 300 simulated A/A
// runs of the CI gate, each looked at after every round until resolved or
// out of time, fail in at most 5% of runs: with the CI tolerances, and
// with tolerances so small that any significant change counts as worse
// (so the guarantee rests on the p-values alone).
func TestSequentialGateAANeverFailsBeyondItsGuarantee(t *testing.T) {
	testutil.Long(t, "hundreds of simulated A/A runs")
	const runs = 300
	tiny := ciGate()
	tiny.Options.Gate.Tolerances = map[metric.Metric]float64{metric.Throughput: 1e-4, metric.CPUPerJob: 1e-4}
	for _, tt := range []struct {
		name string
		gate Sequential
	}{{"ci tolerances", ciGate()}, {"tolerance 0.01%", tiny}} {
		fails, resolved := 0, 0
		for seed := range uint64(runs) {
			dec, _ := simulatedRun(t, seed, ciPairs(0), tt.gate, 6)
			if dec.Result.Outcome().Code == ExitWorse {
				fails++
			}
			if dec.Stop == StopResolved {
				resolved++
			}
		}
		// 5% of 300 is 15; three standard deviations add 11.
		if fails > 26 {
			t.Errorf("%s: %d of %d A/A runs failed the gate, want at most 5%% (15, 26 with slack)", tt.name, fails, runs)
		}
		t.Logf("A/A, %s: %d of %d runs failed, %d resolved within the budget", tt.name, fails, runs, resolved)
	}
}

// TestSequentialGateFindsATenPercentSlowdown: a head with 10% more CPU
// work per job fails the gate in at least 95% of simulated runs, with a
// median time to the verdict under a minute of fake time.
func TestSequentialGateFindsATenPercentSlowdown(t *testing.T) {
	const runs = 200
	found := 0
	var times []time.Duration
	for seed := range uint64(runs) {
		dec, took := simulatedRun(t, seed, ciPairs(0.10), ciGate(), 6)
		if dec.Result.Outcome().Code == ExitWorse {
			found++
			times = append(times, took)
		}
	}
	if found < runs*95/100 {
		t.Errorf("a 10%% slowdown failed the gate in %d of %d runs, want at least 95%%", found, runs)
	}
	slices.Sort(times)
	if len(times) > 0 {
		med := times[len(times)/2]
		if med > time.Minute {
			t.Errorf("median time to the verdict %s, want at most a minute", med)
		}
		t.Logf("10%% slowdown: found in %d of %d runs, median %s", found, runs, med)
	}
}

// TestSequentialGateConfirmAddsEvidence: a pair found worse gets Confirm
// more rounds, and the verdict rests on all of its rounds.
func TestSequentialGateConfirmAddsEvidence(t *testing.T) {
	g := ciGate()
	g.Confirm = 4
	dec, _ := simulatedRun(t, 1, ciPairs(0.2), g, 6)
	if dec.Stop != StopWorse {
		t.Fatalf("stop %q, want worse", dec.Stop)
	}
	for _, r := range dec.Result.Rows {
		if r.Verdict == Worse && r.Rounds < 6+g.Confirm {
			t.Errorf("%s %s worse after %d rounds, want at least %d (planned + confirmation)", r.Key.Label, r.Metric, r.Rounds, 6+g.Confirm)
		}
	}
}

// TestSequentialGateKeepsToItsBudget: no round starts that would end after
// the budget, and without a budget no round is added.
func TestSequentialGateKeepsToItsBudget(t *testing.T) {
	g := ciGate()
	g.Budget = 30 * time.Second
	dec, took := simulatedRun(t, 3, ciPairs(0.02), g, 6)
	if took > g.Budget+3*time.Second {
		t.Errorf("the run took %s of a %s budget", took, g.Budget)
	}
	if dec.Stop != StopBudget && dec.Stop != StopResolved {
		t.Errorf("stop %q, want budget or resolved", dec.Stop)
	}
	g.Budget = 0
	dec, _ = simulatedRun(t, 3, ciPairs(0.02), g, 6)
	if dec.Stop != StopPlanned && dec.Stop != StopResolved && dec.Stop != StopWorse {
		t.Errorf("without a budget: stop %q", dec.Stop)
	}
	for _, r := range dec.Result.Rows {
		if r.Rounds > 6 {
			t.Errorf("without a budget %s has %d rounds, want the 6 planned", r.Key.Label, r.Rounds)
		}
	}
}

// TestSequentialGateBudgetsWholeSteps: when a step of a pair adds several
// rounds (a sliced run's session), the gate starts no step whose rounds
// would end after the budget.
func TestSequentialGateBudgetsWholeSteps(t *testing.T) {
	pairs := ciPairs(0.05)
	for i := range pairs {
		pairs[i].cost = 200 * time.Millisecond // a slice
	}
	g := ciGate()
	g.Budget = 20 * time.Second
	g.StepRounds = 10
	dec, took := simulatedRun(t, 5, pairs, g, 10)
	if dec.Stop != StopBudget {
		t.Fatalf("stop %q, want the budget to end the run", dec.Stop)
	}
	if took > g.Budget {
		t.Errorf("the run took %s of a %s budget", took, g.Budget)
	}
}
