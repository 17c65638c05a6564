package analysis

import (
	"strings"
	"testing"

	"github.com/scalebench/scalebench/internal/results"
)

func TestStartWarnings(t *testing.T) {
	for _, tc := range []struct {
		name   string
		repeat results.Repeat
		want   map[string]string // kind → part of the message; absent kinds must not appear
	}{
		{"skew within 1% of the window", results.Repeat{Elapsed: 2, Start: &results.Start{Skew: 0.019}}, nil},
		{"skew above 1% of the window", results.Repeat{Elapsed: 2, Start: &results.Start{Skew: 0.05}},
			map[string]string{"start-skew": "50 ms apart, 2.5% of the 2.00 s window"}},
		{"no start recorded", results.Repeat{Elapsed: 2}, nil},
		{"retried", results.Repeat{Elapsed: 2, Retries: []results.Retry{{Reason: "agent b, replica 1: silent"}}},
			map[string]string{"retried": "1 measurement(s) failed and were retried; the first because: agent b, replica 1: silent"}},
		{"retried and failed", results.Repeat{Failure: "again", Retries: []results.Retry{{Reason: "crash"}}},
			map[string]string{"retried": "because: crash"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &Cell{}
			if tc.repeat.Failure != "" {
				c.Failed = []results.Repeat{tc.repeat}
			} else {
				c.Repeats = []results.Repeat{tc.repeat}
			}
			got := map[string]string{}
			for _, w := range startChecks(c) {
				got[w.Kind] = w.Message
			}
			if len(got) != len(tc.want) {
				t.Errorf("warnings %q, want kinds %v", got, tc.want)
			}
			for kind, part := range tc.want {
				if !strings.Contains(got[kind], part) {
					t.Errorf("%s warning %q, want it to contain %q", kind, got[kind], part)
				}
			}
		})
	}
}

func TestAgentLoad(t *testing.T) {
	agents := []results.Agent{{ID: "a", CPUs: 4}, {ID: "b", CPUs: 2}}
	for _, tc := range []struct {
		gomaxprocs, replicas int
		want                 string
	}{
		{1, 4, ""}, // 2 replicas per agent, 1 CPU each: fits on b's 2
		{2, 2, ""}, // 1 replica per agent at 2 CPUs: fits
		{2, 3, "GOMAXPROCS 2 × 2 replicas per agent exceeds the 2 CPUs of agent b"},
		{4, 1, "GOMAXPROCS 4 × 1 replicas per agent exceeds the 2 CPUs of agent b"},
	} {
		c := &Cell{}
		c.Params.GOMAXPROCS, c.Params.Replicas = tc.gomaxprocs, tc.replicas
		ws := agentLoad(c, agents)
		switch {
		case tc.want == "" && len(ws) != 0:
			t.Errorf("%d × %d: warnings %+v, want none", tc.gomaxprocs, tc.replicas, ws)
		case tc.want != "" && (len(ws) != 1 || !strings.Contains(ws[0].Message, tc.want)):
			t.Errorf("%d × %d: warnings %+v, want %q", tc.gomaxprocs, tc.replicas, ws, tc.want)
		}
	}
}
