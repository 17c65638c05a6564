package scenario

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/scalebench/scalebench/internal/load"
)

// Replica is what one replica of a cell runs, as a harness hands it to an
// agent: the values a scenario file sets, already split between the
// cell's replicas.
type Replica struct {
	Model                   load.Model
	Workers, GOMAXPROCS     int
	Warmup, Duration, Think time.Duration
	Timeout, Bucket         time.Duration
	Rate                    float64 // open: this replica's share
	Arrival                 load.Arrival
	Jobs                    int // batch: this replica's share
	MaxJobs                 int64
}

// CheckReplica checks every value of r against the bounds a scenario file
// is validated with (one replica of a cell counting as the whole cell for
// the machine limits), so that an agent runs nothing `scalebench validate`
// would refuse. Zero durations, timeout and bucket stand for the defaults.
// The workload's options are checked by the workload.
func CheckReplica(r Replica) error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: "+format, append([]any{field}, args...)...))
	}
	count := func(field string, v, lo, hi int64) {
		if v < lo || v > hi {
			bad(field, "must be %d..%d, got %d", lo, hi, v)
		}
	}
	dur := func(field string, v time.Duration, lim durLimits) {
		if msg := lim.check(v); msg != "" {
			bad(field, "%s", msg)
		}
	}
	if r.Model != "" && !slices.Contains(load.Models(), r.Model) {
		bad("load.model", "%q is not one of %s", r.Model, strings.Join(load.ModelNames(), ", "))
	}
	if r.Arrival != "" && !slices.Contains(load.Arrivals(), r.Arrival) {
		bad("load.arrival", "%q is not one of %s", r.Arrival, strings.Join(load.ArrivalNames(), ", "))
	}
	count("matrix.workers", int64(r.Workers), 1, MaxWorkers)
	count("matrix.gomaxprocs", int64(r.GOMAXPROCS), 1, MaxGOMAXPROCS)
	if mem := cellMemory(r.Workers, 1); r.Workers > 0 && mem > MaxCellMemory {
		bad("matrix.workers", "%d workers need about %s of worker memory, over the %s limit per cell", r.Workers, bytesIEC(mem), bytesIEC(MaxCellMemory))
	}
	if threads := cellThreads(1, r.GOMAXPROCS); r.GOMAXPROCS > 0 && threads > MaxThreads {
		bad("matrix.gomaxprocs", "gomaxprocs %d starts about %d OS threads, over the limit of %d per cell", r.GOMAXPROCS, threads, MaxThreads)
	}
	dur("load.warmup", r.Warmup, nonNegative)
	if r.Model != load.Batch || r.Duration != 0 {
		dur("load.duration", r.Duration, positive)
	}
	dur("load.think", r.Think, nonNegative)
	dur("load.timeout", r.Timeout, nonNegative)
	dur("load.bucket", r.Bucket, nonNegative)
	if r.Rate != 0 || r.Model == load.Open {
		if !(r.Rate > 0 && r.Rate <= MaxRate) || math.IsInf(r.Rate, 0) {
			bad("load.rate", "must be > 0 and at most %g/s, got %g", float64(MaxRate), r.Rate)
		}
	}
	if r.Jobs != 0 || r.Model == load.Batch {
		count("load.jobs", int64(r.Jobs), 1, MaxBatchJobs)
	}
	count("load.max_jobs", r.MaxJobs, 0, MaxMaxJobs)
	return errors.Join(errs...)
}
