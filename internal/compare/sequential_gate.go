package compare

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Clock tells the time; the sequential gate reads it to keep to its time
// budget, so that its procedure can be run in fake time.
type Clock interface{ Now() time.Time }

// SystemClock is the Clock of the machine.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }

// Stop says why the sequential gate asked for no more rounds.
type Stop string

// Reasons to stop.
const (
	// StopNone: the gate wants another round.
	StopNone Stop = ""
	// StopWorse: a gated row is worse (and any confirmation rounds are in).
	StopWorse Stop = "worse"
	// StopResolved: every gated row is worse, better, same or not worse.
	StopResolved Stop = "resolved"
	// StopBudget: another round would not fit in the time budget.
	StopBudget Stop = "budget"
	// StopPlanned: no time budget, so no rounds beyond the planned ones.
	StopPlanned Stop = "planned"
)

// Sequential is the gate of an A/B run, asked after each round which
// pairs to measure in the next one. Its verdicts come from ComparePaired,
// whose p-values and intervals stay valid however many times they are
// looked at, so it may stop as soon as the answer is clear:
//
//   - a pair with a gated row still inconclusive gets another round while
//     the time budget lasts;
//   - a pair found worse gets Confirm more rounds, and is judged again on
//     all of its rounds (a confirmation adds evidence, never replaces it);
//   - the run stops when a gated row is worse, when every gated row is
//     resolved, or when one more round would not fit in the budget.
type Sequential struct {
	// Options are the comparison's significance level and gate.
	Options Options
	// Budget is the run's time budget from Start (--until-resolved);
	// zero means no rounds beyond the planned ones.
	Budget time.Duration
	// Confirm is how many rounds a pair found worse gets before it fails
	// the gate.
	Confirm int
	// Clock tells the time (SystemClock when nil).
	Clock Clock
	// StepRounds is how many rounds one more step of a pair adds: 1, or in
	// a sliced run the pairs of slices of a session (0 means 1). The
	// budget is kept by what a step costs.
	StepRounds int

	started time.Time
	// worseAt is the number of rounds a pair had when it was first found
	// worse, by key label.
	worseAt map[string]int
}

// Decision is what the gate decided after a round.
type Decision struct {
	// Next lists the pairs to measure in the next round; empty when Stop
	// is set. Confirming is true when the round confirms pairs found worse.
	Next       []Key
	Confirming bool
	Stop       Stop
	// Result is the comparison the decision rests on.
	Result *Result
	// Log is one line for the console saying what the gate saw.
	Log string
}

// Start marks the run's start, from which the budget counts.
func (s *Sequential) Start() {
	s.started = s.clock().Now()
	s.worseAt = map[string]int{}
}

func (s *Sequential) clock() Clock {
	if s.Clock == nil {
		return SystemClock{}
	}
	return s.Clock
}

// Next compares the rounds so far and decides the next round.
func (s *Sequential) Next(in PairedInput) (Decision, error) {
	if s.worseAt == nil {
		s.Start()
	}
	res, err := ComparePaired(in, s.Options)
	if err != nil {
		return Decision{}, err
	}
	rounds := roundsByPair(in)
	dec := Decision{Result: res}
	elapsed := s.clock().Now().Sub(s.started)

	// Pairs found worse: confirm, then stop.
	worse := pairsWith(res, Worse, false)
	var confirming []string
	for _, k := range pairsWith(res, Worse, true) {
		at, ok := s.worseAt[k]
		if !ok {
			at = rounds[k]
			s.worseAt[k] = at
		}
		if rounds[k] < at+s.Confirm {
			confirming = append(confirming, k)
		}
	}
	if len(worse) > 0 && len(confirming) == 0 {
		dec.Stop = StopWorse
		dec.Log = fmt.Sprintf("worse after %s: %s", roundsText(rounds), strings.Join(worse, "; "))
		return dec, nil
	}
	open := confirming
	if len(open) == 0 {
		open = pairsWith(res, Inconclusive, true)
	}
	switch {
	case len(open) == 0:
		dec.Stop = StopResolved
		dec.Log = fmt.Sprintf("every gated pair resolved after %s, %s", roundsText(rounds), elapsed.Round(time.Second))
		return dec, nil
	case len(confirming) > 0 && s.Confirm > 0:
		// Confirmation rounds are owed whatever the budget.
	case s.Budget <= 0:
		dec.Stop = StopPlanned
		return dec, nil
	default:
		// A round of the open pairs costs about what a pair's round has
		// cost so far.
		measured := 0
		for _, n := range rounds {
			measured += n
		}
		cost := elapsed / time.Duration(max(measured, 1)) * time.Duration(len(open)*max(s.StepRounds, 1))
		if elapsed+cost > s.Budget {
			dec.Stop = StopBudget
			dec.Log = fmt.Sprintf("time budget %s ends with pairs still open after %s: %s", s.Budget, roundsText(rounds), strings.Join(open, "; "))
			return dec, nil
		}
	}
	for _, k := range open {
		dec.Next = append(dec.Next, keyByLabel(in, k))
	}
	dec.Confirming = len(confirming) > 0
	what := "still open"
	if len(confirming) > 0 {
		what = "found worse, confirming"
	}
	dec.Log = fmt.Sprintf("round %d, %s: %s", maxRounds(rounds)+1, what, strings.Join(open, "; "))
	return dec, nil
}

// roundsByPair counts the rounds each pair has been measured in (complete
// or not), by key label.
func roundsByPair(in PairedInput) map[string]int {
	out := map[string]int{}
	for _, r := range in.Rounds {
		l := r.Key.label()
		out[l] = max(out[l], len(r.Base), len(r.Head))
	}
	return out
}

func maxRounds(rounds map[string]int) int {
	m := 0
	for _, n := range rounds {
		m = max(m, n)
	}
	return m
}

// roundsText is "12 rounds" or "6 to 12 rounds".
func roundsText(rounds map[string]int) string {
	lo, hi := -1, 0
	for _, n := range rounds {
		if lo < 0 || n < lo {
			lo = n
		}
		hi = max(hi, n)
	}
	if lo == hi {
		return fmt.Sprintf("%d rounds", hi)
	}
	return fmt.Sprintf("%d to %d rounds", lo, hi)
}

// pairsWith returns, in row order, the labels of the pairs (with paired,
// only those measured round by round) with a gated row of verdict v.
func pairsWith(res *Result, v Verdict, paired bool) []string {
	var out []string
	for _, r := range res.Rows {
		if r.Gated && r.Verdict == v && (r.Paired || !paired) && !slices.Contains(out, r.Key.label()) {
			out = append(out, r.Key.label())
		}
	}
	return out
}

func keyByLabel(in PairedInput, label string) Key {
	for _, r := range in.Rounds {
		if r.Key.label() == label {
			return r.Key
		}
	}
	return Key{Label: label}
}
