package bench

import (
	"context"
	"strings"
	"testing"
)

// Register panics, naming the problem, for a workload the program cannot
// run: its workloads are fixed when it starts, and a mistake in them is
// the program's. (A name registered twice is refused the same way:
// internal/workload tests it, without a name left registered here.)
func TestRegisterPanics(t *testing.T) {
	setup := func(context.Context, *Process, struct{}) (Instance, error) { return nil, nil }
	for _, tc := range []struct {
		name string
		w    Workload[struct{}]
		want string
	}{
		{"no setup", Workload[struct{}]{Name: "nosetup"}, "bench: register: workload nosetup: no Setup"},
		{"a bad name", Workload[struct{}]{Name: "a b", Setup: setup}, `workload name "a b"`},
		{"too many stages", Workload[struct{}]{Name: "many", Setup: setup, Stages: make([]Stage, MaxStages+1)}, "at most 8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				r := recover()
				if s, _ := r.(string); !strings.Contains(s, tc.want) {
					t.Errorf("recovered %v, want a panic with %q", r, tc.want)
				}
			}()
			Register(tc.w)
		})
	}
}
