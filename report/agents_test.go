package report

import (
	"strings"
	"testing"

	"github.com/scalebench/scalebench/internal/results"
)

// A distributed run names its agents in the environment, HTML and Markdown.
func TestEnvironmentNamesAgents(t *testing.T) {
	run := &results.Run{Environment: results.Environment{Agents: []results.Agent{
		{ID: "a", Host: "host-a", CPUs: 4, ClockOffset: 0.00012, ClockRTT: 0.0001},
		{ID: "b", CPUs: 2},
	}}}
	const want = "a (host-a, 4 CPUs, clock offset 0.12 ms ± 0.05 ms); b (—, 2 CPUs, clock offset 0.00 ms ± 0.00 ms)"
	var got string
	for _, p := range environment(run) {
		if strings.HasPrefix(p.Key, "agents") {
			got = p.Value
		}
	}
	if got != want {
		t.Errorf("agents = %q, want %q", got, want)
	}
	if len(environment(&results.Run{})) == 0 {
		t.Fatal("no environment")
	}
	for _, p := range environment(&results.Run{}) {
		if strings.HasPrefix(p.Key, "agents") {
			t.Errorf("a run on one machine lists agents: %q", p.Value)
		}
	}
}
