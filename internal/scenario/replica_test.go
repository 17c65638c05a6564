package scenario

import (
	"strings"
	"testing"
	"time"

	"github.com/scalebench/scalebench/internal/load"
)

// okReplica is a replica every bound admits.
func okReplica() Replica {
	return Replica{
		Model: load.Closed, Workers: 4, GOMAXPROCS: 2, Duration: time.Second,
	}
}

func TestCheckReplica(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(*Replica)
		want   string // "" for no error
	}{
		{"valid", func(*Replica) {}, ""},
		{"a million workers", func(r *Replica) { r.Workers = 1_000_000 }, "matrix.workers: must be 1..100000"},
		{"workers beyond a cell's memory", func(r *Replica) { r.Workers = 10_000 }, "worker memory"},
		{"no workers", func(r *Replica) { r.Workers = 0 }, "matrix.workers"},
		{"gomaxprocs beyond the threads", func(r *Replica) { r.GOMAXPROCS = 1024 * 1024 }, "matrix.gomaxprocs"},
		{"ten hours", func(r *Replica) { r.Duration = 10 * time.Hour }, "load.duration: must be <= 1h"},
		{"negative warm-up", func(r *Replica) { r.Warmup = -time.Second }, "load.warmup"},
		{"unknown model", func(r *Replica) { r.Model = "fork-bomb" }, "load.model"},
		{"open without rate", func(r *Replica) { r.Model = load.Open }, "load.rate"},
		{"rate NaN", func(r *Replica) { r.Model, r.Rate = load.Open, nan() }, "load.rate"},
		{"batch of too many jobs", func(r *Replica) { r.Model, r.Jobs = load.Batch, MaxBatchJobs+1 }, "load.jobs"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := okReplica()
			tc.change(&r)
			err := CheckReplica(r)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("CheckReplica = %v, want nil", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("CheckReplica = %v, want an error with %q", err, tc.want)
			}
		})
	}
}

func nan() float64 {
	zero := 0.0
	return zero / zero
}
