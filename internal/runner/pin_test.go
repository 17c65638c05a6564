package runner

import (
	"reflect"
	"testing"
)

func TestPlacement(t *testing.T) {
	for _, tc := range []struct {
		name                     string
		cpus, r, procs, replicas int
		want                     []int
	}{
		{"one core beside the harness", 2, 0, 1, 1, []int{0}},
		{"more cores than are free: share", 2, 0, 2, 1, []int{0, 1}},
		{"replicas side by side", 8, 1, 2, 3, []int{2, 3}},
		{"replicas wrap when they do not fit", 4, 1, 2, 2, []int{2, 3}},
		{"a replica wider than the machine", 2, 0, 4, 1, []int{0, 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := newPlacement(tc.cpus).Worker(tc.r, tc.procs, tc.replicas)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Worker(%d, %d, %d) on %d CPUs = %v, want %v", tc.r, tc.procs, tc.replicas, tc.cpus, got, tc.want)
			}
		})
	}
	if h := newPlacement(8).harness; h != 7 {
		t.Errorf("harness CPU = %d, want the last, 7", h)
	}
}
