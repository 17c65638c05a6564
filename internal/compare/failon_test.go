package compare

import (
	"errors"
	"strings"
	"testing"

	"github.com/scalebench/scalebench/internal/metric"
)

func TestParseFailOn(t *testing.T) {
	tests := []struct {
		spec    string
		want    map[metric.Metric]float64
		wantErr []string // substrings of the error
	}{
		{spec: "throughput:-5%,p99:+10%", want: map[metric.Metric]float64{metric.Throughput: 0.05, metric.P99: 0.10}},
		{spec: " throughput : -2.5% ", want: map[metric.Metric]float64{metric.Throughput: 0.025}},
		{spec: "rss:10%", want: map[metric.Metric]float64{metric.RSS: 0.10}},
		{spec: "kappa:+50%", want: map[metric.Metric]float64{metric.Kappa: 0.50}},
		{spec: "peak_n:-20%,cpu_per_job:+5%", want: map[metric.Metric]float64{metric.PeakN: 0.20, metric.CPUPerJob: 0.05}},
		{spec: "latency:+10%", wantErr: []string{`unknown metric "latency"`, "throughput, p50, p90, p99", "kappa"}},
		{spec: "throughput:+5%", wantErr: []string{"wrong sign", "throughput is worse when it goes down", "-5%"}},
		{spec: "p99:-10%", wantErr: []string{"wrong sign", "p99 is worse when it goes up", "+10%"}},
		{spec: "p99:+ten%", wantErr: []string{"not a positive percentage"}},
		{spec: "p99:+10", wantErr: []string{"must be a percentage"}},
		{spec: "p99:+0%", wantErr: []string{"not a positive percentage"}},
		{spec: "p99:+-3%", wantErr: []string{"not a positive percentage"}},
		{spec: "throughput:-100%", wantErr: []string{"cannot happen"}},
		{spec: "p99", wantErr: []string{"want metric:change"}},
		{spec: "p99:+1%,p99:+2%", wantErr: []string{"given twice"}},
		{spec: "", wantErr: []string{"empty"}},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			g, err := ParseFailOn(tt.spec)
			if tt.wantErr != nil {
				if err == nil {
					t.Fatalf("no error, gate %+v", g)
				}
				for _, s := range tt.wantErr {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("error %q does not contain %q", err, s)
					}
				}
				var ue *UnusableError
				if !errors.As(err, &ue) || ExitCodeOf(err) != ExitUnusable {
					t.Errorf("error %T is not unusable input", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(g.Tolerances) != len(tt.want) || len(g.Only) != 0 {
				t.Fatalf("gate %+v, want tolerances %v", g, tt.want)
			}
			for m, tol := range tt.want {
				if got := g.Tolerance(m); got != tol {
					t.Errorf("%s tolerance = %v, want %v", m, got, tol)
				}
				if !g.Gates(m) {
					t.Errorf("%s not gated", m)
				}
			}
		})
	}
}

func TestGateDefaults(t *testing.T) {
	var g Gate
	for _, tt := range []struct {
		m     metric.Metric
		tol   float64
		gated bool
	}{
		{metric.Throughput, 0.05, true}, {metric.P50, 0.10, true}, {metric.P90, 0.10, true}, {metric.P99, 0.10, true},
		{metric.CPUPerJob, 0.05, false}, {metric.RSS, 0.10, false}, {metric.Makespan, 0.10, true},
		{metric.Kappa, 0.50, false}, {metric.Sigma, 0.50, false},
	} {
		if g.Tolerance(tt.m) != tt.tol || g.Gates(tt.m) != tt.gated {
			t.Errorf("%s: tolerance %v gated %v, want %v %v", tt.m, g.Tolerance(tt.m), g.Gates(tt.m), tt.tol, tt.gated)
		}
	}
	g, _ = ParseFailOn("p99:+20%,kappa:+50%")
	if !g.Gates(metric.Throughput) || g.Tolerance(metric.Throughput) != 0.05 || !g.Gates(metric.P99) || g.Tolerance(metric.P99) != 0.20 || !g.Gates(metric.Kappa) || g.Gates(metric.Sigma) {
		t.Errorf("--fail-on p99:+20%%,kappa:+50%%: %+v", g)
	}
	g.Only = []metric.Metric{metric.P99}
	if g.Gates(metric.Throughput) || g.Gates(metric.Kappa) || !g.Gates(metric.P99) {
		t.Errorf("only p99: %+v", g)
	}
}

func TestOutcome(t *testing.T) {
	row := func(v Verdict, gated bool) Row { return Row{Verdict: v, Gated: gated} }
	tests := []struct {
		name   string
		rows   []Row
		failIn bool
		want   ExitCode
	}{
		{"all same", []Row{row(Same, true), row(Better, true)}, false, ExitOK},
		{"worse", []Row{row(Same, true), row(Worse, true)}, false, ExitWorse},
		{"worse not gated", []Row{row(Worse, false)}, false, ExitOK},
		{"inconclusive tolerated", []Row{row(Inconclusive, true)}, false, ExitOK},
		{"inconclusive fails", []Row{row(Inconclusive, true)}, true, ExitInconclusive},
		{"inconclusive not gated", []Row{row(Inconclusive, false)}, true, ExitOK},
		{"worse beats inconclusive", []Row{row(Inconclusive, true), row(Worse, true)}, true, ExitWorse},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &Result{Rows: tt.rows, FailOnInconclusive: tt.failIn}
			if got := r.Outcome().Code; got != tt.want {
				t.Errorf("code = %d, want %d", got, tt.want)
			}
		})
	}
	if ExitCodeOf(nil) != ExitOK {
		t.Error("nil error is not ExitOK")
	}
	if _, err := Compare(Input{}, Options{}); ExitCodeOf(err) != ExitUnusable {
		t.Errorf("empty input: %v", err)
	}
	_, err := Compare(Input{Pairs: []Pair{{Metric: "latency", Base: []float64{1}, Head: []float64{1}}}}, Options{})
	if ExitCodeOf(err) != ExitUnusable || !strings.Contains(err.Error(), "valid: throughput") {
		t.Errorf("unknown metric: %v", err)
	}
}
