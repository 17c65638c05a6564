package load

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// nopRec records nothing.
type nopRec struct{}

func (nopRec) Open(time.Time, time.Duration) {}
func (nopRec) Record(int, Sample)            {}
func (nopRec) Complete(int, time.Time)       {}
func (nopRec) Drop(int)                      {}

// BenchmarkExecutor measures each model's own cost per job, with jobs that
// do nothing and a recorder that keeps nothing: ns/op is the loop's
// overhead. The open loop runs at MaxRate, so ns/op under 1,100 means its
// dispatcher keeps that pace; lag-us is how far it fell behind at worst.
func BenchmarkExecutor(b *testing.B) {
	nop := func(context.Context, string) (Stages, error) { return Stages{}, nil }
	for _, m := range Models() {
		for _, workers := range []int{1, 64} {
			b.Run(fmt.Sprintf("model=%s/workers=%d", m, workers), func(b *testing.B) {
				ex, err := m.Executor()
				if err != nil {
					b.Fatal(err)
				}
				p := Plan{URLs: []string{"x"}, Workers: workers, Duration: time.Hour, MaxJobs: int64(b.N), Timeout: 2 * time.Hour}
				switch m {
				case Open:
					p.Rate, p.Arrival = MaxRate, Uniform
				case Batch:
					p.Jobs = b.N
				}
				b.ResetTimer()
				out, err := ex.Execute(context.Background(), p, fakeJobs(workers, nop), nopRec{})
				if err != nil {
					b.Fatal(err)
				}
				if m == Open {
					b.ReportMetric(float64(out.HarnessLag.Microseconds()), "lag-us")
				}
			})
		}
	}
}
