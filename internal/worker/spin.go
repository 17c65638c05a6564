package worker

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"time"
)

// MaxSpin bounds how long a spinner may run.
const MaxSpin = 24 * time.Hour

// Spin keeps one CPU busy until ctx ends or limit has passed: the other
// process of `scalebench calibrate --busy`.
func Spin(ctx context.Context, limit time.Duration) error {
	if limit <= 0 || limit > MaxSpin {
		return fmt.Errorf("spin: limit %s: want more than 0 and at most %s", limit, MaxSpin)
	}
	end := time.Now().Add(limit)
	var x uint64
	for i := 0; ; i++ {
		x = x*6364136223846793005 + 1442695040888963407
		if i%(1<<20) == 0 && (ctx.Err() != nil || time.Now().After(end)) {
			spinSink.Store(x)
			return nil
		}
	}
}

// spinSink keeps the spinning arithmetic from being optimised away.
var spinSink atomic.Uint64

// StartSpinners starts n processes of this executable that each keep one
// CPU busy for at most limit (`worker --spin`), and returns a function
// that stops them. They die with this process.
func StartSpinners(n int, limit time.Duration) (stop func(), err error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("busy: find this executable: %w", err)
	}
	var procs []*Proc
	stop = func() {
		for _, p := range procs {
			p.Close()
		}
	}
	for range n {
		p, err := Start(context.Background(), Command{Argv: []string{exe, "worker", "--spin", limit.String()}, Silent: true})
		if err != nil {
			stop()
			return nil, fmt.Errorf("busy: start a spinning process: %w", err)
		}
		procs = append(procs, p)
	}
	return stop, nil
}
