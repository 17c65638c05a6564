// Package history is scalebench's store of runs across commits: a SQLite
// file by default, or a PostgreSQL database for a team, with one schema
// and versioned migrations. It keeps, for every run added, the testbed it
// ran on, its branch, commit and time, its scenario (name and content
// hash), and each repeat's value of every point metric of every cell, and
// finds the change points of each series (testbed × scenario × cell ×
// metric, on one branch) with package changepoint.
package history

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/scalebench/scalebench/internal/compare"
	"github.com/scalebench/scalebench/internal/metric"
	"github.com/scalebench/scalebench/internal/param"
	"github.com/scalebench/scalebench/internal/results"
)

// ErrInput reports a run the store refuses: too large, a value that is
// not a finite number, a name it cannot hold.
var ErrInput = errors.New("history: invalid input")

// Limits on one run added.
const (
	// MaxCells is the most cells a run may have.
	MaxCells = 10_000
	// MaxValues is the most values (repeats × metrics × cells) a run may
	// have.
	MaxValues = 2_000_000
	// MaxName is the longest branch, commit, label or scenario name, in
	// bytes.
	MaxName = 255
)

// Run is one run as the store keeps it.
type Run struct {
	// ID is the store's number for the run (0 until added).
	ID int64
	// Key identifies the measurements: adding a run whose key the store
	// holds adds nothing.
	Key      string
	Testbed  Testbed
	Scenario Scenario
	Branch   string
	Commit   string
	// Time is when the run was measured; a series is in this order.
	Time time.Time
	// Version is the scalebench that measured it.
	Version string
	// File is where the results were read from, for the record.
	File        string
	Interrupted bool
	// Builds are an A/B run's builds; their cells carry a build param.
	Builds []Build
	Cells  []Cell
}

// Testbed is the machine a run was measured on. Series never mix
// testbeds: a run on another machine, kernel or Go version is not a
// change of the code.
type Testbed struct {
	// Label is the user's name for it (history add --testbed).
	Label    string
	CPUModel string
	CPUs     int
	// CPUQuota is the cgroup limit in cores, 0 for none.
	CPUQuota  float64
	OS, Arch  string
	Kernel    string
	GoVersion string
}

// Fingerprint is the testbed's identity: a hash of its label and machine
// facts.
func (t Testbed) Fingerprint() string {
	h := sha256.New()
	fmt.Fprintf(h, "%q %q %d %g %q %q %q %q", t.Label, t.CPUModel, t.CPUs, t.CPUQuota, t.OS, t.Arch, t.Kernel, t.GoVersion)
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// Name is how commands show the testbed: its label, or its fingerprint's
// first characters.
func (t Testbed) Name() string {
	if t.Label != "" {
		return t.Label
	}
	return "tb-" + t.Fingerprint()[:8]
}

// Describe lists the testbed's machine facts.
func (t Testbed) Describe() string {
	cpus := fmt.Sprintf("%d CPUs", t.CPUs)
	if t.CPUQuota > 0 {
		cpus += fmt.Sprintf(" (quota %g)", t.CPUQuota)
	}
	k := t.Kernel
	if k == "" {
		k = "kernel unknown"
	}
	return fmt.Sprintf("%s, %s, %s/%s %s, %s", t.CPUModel, cpus, t.OS, t.Arch, k, t.GoVersion)
}

// Scenario names what was run: a scenario and its content.
type Scenario struct {
	Name string
	// Hash is the content hash of the resolved scenario: an edited
	// scenario starts new series.
	Hash string
	// Resolved is the resolved scenario as JSON.
	Resolved string
}

// Build is one executable of an A/B run.
type Build struct {
	Name, Path, Version, Commit string
	Protocol                    int
	ExtraWork                   float64
}

// Cell is one cell's repeats of every point metric.
type Cell struct {
	Params results.Params
	// Values holds each metric's value for every repeat, in base units.
	Values map[metric.Metric][]float64
}

// CellKey is how the store names a cell: each dimension's name=value, in
// the matrix's order, e.g. "gomaxprocs=1 workers=4 replicas=1 method=fast".
func CellKey(p results.Params) string {
	var parts []string
	for _, d := range param.Dimensions {
		if d.Optional && !d.Set(p) {
			continue
		}
		parts = append(parts, d.Name+"="+d.Key(p))
	}
	return strings.Join(parts, " ")
}

// FromResults turns a results file's run into a Run: the testbed from its
// environment (with label), the scenario's content hash, each repeat's
// point metrics (as `scalebench export` writes them). Branch and commit
// are the caller's to set; Commit defaults to the one the build recorded.
func FromResults(r *results.Run, file, label string) (*Run, error) {
	if n := len(r.Cells); n > MaxCells {
		return nil, fmt.Errorf("%w: %s has %d cells; a run in the history holds at most %d", ErrInput, file, n, MaxCells)
	}
	env := r.Environment
	run := &Run{
		Testbed: Testbed{
			Label: label, CPUModel: env.CPUModel, CPUs: env.LogicalCPUs, CPUQuota: env.CPUQuota,
			OS: env.OS, Arch: env.Arch, Kernel: env.Kernel, GoVersion: env.GoVersion,
		},
		Commit:      env.Commit,
		Time:        env.Started.UTC(),
		Version:     env.ScalebenchVersion,
		File:        file,
		Interrupted: r.Interrupted,
	}
	var err error
	if run.Scenario, err = scenarioOf(r); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	for _, b := range r.Builds {
		run.Builds = append(run.Builds, Build{Name: b.Name, Path: b.Path, Version: b.Version, Commit: b.Commit, Protocol: b.Protocol, ExtraWork: b.ExtraWork})
	}
	ex := compare.Export(r)
	measured := map[string]results.Params{}
	for _, c := range r.Cells {
		measured[compare.CellKey(c.Params).Label] = c.Params
	}
	total := 0
	for _, ec := range ex.Cells {
		p, ok := measured[ec.Key.Label]
		if !ok {
			return nil, fmt.Errorf("%s: cell %s: not among the run's cells", file, ec.Key.Label)
		}
		c := Cell{Params: p, Values: map[metric.Metric][]float64{}}
		for _, mi := range metric.Metrics() {
			var vs []float64
			for _, rep := range ec.Repeats {
				if v, ok := rep.Values[mi.Metric]; ok {
					vs = append(vs, v)
				}
			}
			if len(vs) > 0 {
				c.Values[mi.Metric] = vs
				total += len(vs)
			}
		}
		if total > MaxValues {
			return nil, fmt.Errorf("%w: %s has more than %d values (repeats × metrics × cells); a run in the history holds at most that", ErrInput, file, MaxValues)
		}
		run.Cells = append(run.Cells, c)
	}
	run.Key = keyOf(r)
	return run, nil
}

// scenarioOf names r's scenario by its name and the hash of its resolved
// form, less what does not change what is measured (its description, its
// file's path, the paths of an A/B run's builds).
func scenarioOf(r *results.Run) (Scenario, error) {
	sc := Scenario{Name: r.Scenario.Name}
	content := []byte(r.Scenario.Resolved)
	if len(content) == 0 {
		content = []byte(r.Scenario.Source)
	} else {
		var m map[string]any
		if err := json.Unmarshal(r.Scenario.Resolved, &m); err != nil {
			return sc, fmt.Errorf("scenario.resolved: %w", err)
		}
		delete(m, "description")
		delete(m, "file")
		delete(m, "builds")
		content, _ = json.Marshal(m) // keys sorted: canonical
		sc.Resolved = string(content)
	}
	sum := sha256.Sum256(content)
	sc.Hash = hex.EncodeToString(sum[:])[:16]
	return sc, nil
}

// keyOf identifies a run's measurements: its scenario, environment
// (start time and host included) and every repeat.
func keyOf(r *results.Run) string {
	h := sha256.New()
	enc := json.NewEncoder(h)
	_ = enc.Encode(r.Scenario.Name) // plain data: cannot fail
	_ = enc.Encode(r.Environment)
	_ = enc.Encode(r.Cells)
	return hex.EncodeToString(h.Sum(nil))
}

// Validate reports what the store cannot hold: names too long or with
// control characters, values that are not finite numbers.
func (r *Run) Validate() error {
	check := func(what, s string, required bool) error {
		switch {
		case required && s == "":
			return fmt.Errorf("%w: %s is empty", ErrInput, what)
		case len(s) > MaxName:
			return fmt.Errorf("%w: %s is %d bytes long, at most %d", ErrInput, what, len(s), MaxName)
		case !utf8.ValidString(s):
			return fmt.Errorf("%w: %s %q is not UTF-8", ErrInput, what, s)
		case strings.ContainsFunc(s, unicode.IsControl):
			return fmt.Errorf("%w: %s %q holds a control character (a line break, a tab, ...)", ErrInput, what, s)
		}
		return nil
	}
	for _, c := range []struct {
		what, s  string
		required bool
	}{
		{"branch", r.Branch, true}, {"commit", r.Commit, true}, {"testbed label", r.Testbed.Label, false},
		{"scenario name", r.Scenario.Name, true},
	} {
		if err := check(c.what, c.s, c.required); err != nil {
			return err
		}
	}
	if r.Time.IsZero() {
		return fmt.Errorf("%w: the run has no start time", ErrInput)
	}
	if len(r.Cells) > MaxCells {
		return fmt.Errorf("%w: %d cells; a run in the history holds at most %d", ErrInput, len(r.Cells), MaxCells)
	}
	seen := map[string]bool{}
	for _, c := range r.Cells {
		k := CellKey(c.Params)
		if seen[k] {
			return fmt.Errorf("%w: cell %s appears twice", ErrInput, k)
		}
		seen[k] = true
		for _, m := range slices.Sorted(mapsKeys(c.Values)) {
			if _, ok := metric.Metric(m).Info(); !ok {
				return fmt.Errorf("%w: cell %s: unknown metric %q (valid: %s)", ErrInput, k, m, metric.MetricNames())
			}
			for i, v := range c.Values[metric.Metric(m)] {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					return fmt.Errorf("%w: cell %s: %s of repeat %d is %v: the history holds finite numbers only", ErrInput, k, m, i+1, v)
				}
			}
		}
	}
	return nil
}

func mapsKeys(m map[metric.Metric][]float64) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(string(k)) {
				return
			}
		}
	}
}
