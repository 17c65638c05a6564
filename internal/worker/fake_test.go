package worker

import (
	"context"
	"errors"

	"github.com/scalebench/scalebench/internal/workload"
)

// fakeDef is the workload of the fake jobs handed to ExecuteWith: two
// stages, as the thumbnail's first two.
var fakeDef = func() *workload.Def {
	d, err := workload.Define(workload.Workload[struct{}]{
		Name:   "fake",
		Stages: []workload.Stage{{Name: "fetch", Kind: workload.IO}, {Name: "decode", Kind: workload.CPU}},
		Setup: func(context.Context, *workload.Process, struct{}) (workload.Instance, error) {
			return nil, errors.New("fake jobs are handed to ExecuteWith")
		},
	})
	if err != nil {
		panic(err)
	}
	return d
}()

// doer is one worker's fake job.
type doer interface {
	Do(ctx context.Context, c *workload.Call) error
}

// jobs is an Instance whose worker w runs jobs[w].
type jobs []doer

func (j jobs) Job(ctx context.Context, c *workload.Call) error { return j[c.Worker].Do(ctx, c) }
func (jobs) Close() error                                      { return nil }
