package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/scalebench/scalebench/internal/testutil"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scalebench/scalebench/internal/agent"
	"github.com/scalebench/scalebench/internal/cluster"
	"github.com/scalebench/scalebench/internal/worker"
	"github.com/scalebench/scalebench/internal/workload"
)

// agentSet is agents running in this process, on one server, for one run;
// each runs its replicas in worker processes of this test binary.
type agentSet struct {
	t       *testing.T
	srv     *cluster.Server
	run     string
	wg      sync.WaitGroup
	mu      sync.Mutex
	cancels map[int]context.CancelFunc
	// measuring receives i when agent i's replica got the go signal and
	// began to measure (dropped once 64 wait unread).
	measuring chan int
}

// testAgents starts n agents, box-0 … box-<n-1>, stopped when the test ends.
func testAgents(t *testing.T, srv *cluster.Server, run string, n int) *agentSet {
	t.Helper()
	s := &agentSet{t: t, srv: srv, run: run, cancels: map[int]context.CancelFunc{}, measuring: make(chan int, 64)}
	t.Cleanup(func() {
		s.mu.Lock()
		for _, c := range s.cancels {
			c()
		}
		s.mu.Unlock()
		s.wg.Wait()
	})
	for i := range n {
		s.start(i)
	}
	return s
}

// start starts agent i, anew if it ran before: a new process, as far as
// the harness can tell.
func (s *agentSet) start(i int) {
	nc, err := s.srv.Connect(fmt.Sprintf("agent-%d", i))
	if err != nil {
		s.t.Error(err)
		return
	}
	w := agent.NewWorker([]string{os.Args[0]}, []string{"SCALEBENCH_TEST_WORKER=1"})
	work := func(ctx context.Context, spec json.RawMessage, ready func() error) (json.RawMessage, error) {
		return w.Work(ctx, spec, func() error {
			err := ready()
			if err == nil {
				select {
				case s.measuring <- i:
				default:
				}
			}
			return err
		})
	}
	a, err := cluster.NewAgent(nc, cluster.AgentConfig{ID: fmt.Sprintf("box-%d", i), Host: fmt.Sprintf("host-%d", i), Run: s.run, Work: work})
	if err != nil {
		nc.Close()
		s.t.Error(err)
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.mu.Lock()
	s.cancels[i] = cancel
	s.mu.Unlock()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer nc.Close()
		defer w.Close()
		_ = a.Run(ctx)
	}()
}

// stop stops agent i as a dying machine would: no report, no heartbeat.
func (s *agentSet) stop(i int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cancels[i]()
}

// Replicas spread over agents, each serving the images itself; results
// merge as on one machine, and no secret reaches the record.
func TestRunOnAgents(t *testing.T) {
	srv, err := cluster.StartServer()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	testAgents(t, srv, "t1", 2)
	sc := parse(t, `name: t
images: {latency: 5ms, paths: [/64x48/ccc/aaa.jpg]}
thumbnail: {width: 16, height: 16}
load: {model: batch, jobs: 8, warmup: 0s, repeats: 1}
matrix: {workers: [2], replicas: [1, 2]}
`)
	opt := testOptions()
	opt.Cluster = &Cluster{Connect: cluster.ConnectOptions{URL: srv.URL, Token: srv.Token}, Agents: 2, Run: "t1", Wait: time.Minute}
	run, err := Run(context.Background(), sc, opt)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range run.Cells {
		r := c.Repeats[0]
		if r.Failure != "" || r.Jobs != 8 {
			t.Fatalf("cell %s: failure %q, %d jobs; want the batch of 8 done once across the replicas", c.Params, r.Failure, r.Jobs)
		}
		if r.Histogram == nil || r.Histogram.HDR().TotalCount() != r.Jobs {
			t.Errorf("cell %s: merged histogram holds %v jobs, want %d", c.Params, r.Histogram, r.Jobs)
		}
		hosts := map[string]bool{}
		for _, p := range r.Placement {
			hosts[p.Host] = true
		}
		if len(r.Placement) != c.Params.Replicas || len(hosts) != c.Params.Replicas {
			t.Errorf("cell %s: placement %+v, want each replica on a host of its own", c.Params, r.Placement)
		}
		if r.Start == nil {
			t.Errorf("cell %s: no start timing", c.Params)
		}
	}
	if a := run.Environment.Agents; len(a) != 2 || a[0].ID != "box-0" || a[1].Host != "host-1" || a[0].CPUs == 0 {
		t.Errorf("agents recorded: %+v", a)
	}
	data, err := json.Marshal(run)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), srv.Token) {
		t.Error("results hold the NATS token")
	}
}

// An agent that dies mid-measurement is noticed by its silence; the
// measurement is tried again on the agents left and the retry recorded.
// Restarted, the agent serves the next measurement.
func TestRunOnAgentsRetriesWhenOneDies(t *testing.T) {
	testutil.Long(t, "kills an agent mid-measurement and waits for its heartbeat to lapse; TestRunOnAgents covers agents in make test")
	srv, err := cluster.StartServer()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	agents := testAgents(t, srv, "t2", 2)
	sc := parse(t, `name: t
images: {paths: [/64x48/ccc/aaa.jpg]}
thumbnail: {width: 16, height: 16}
load: {duration: 1500ms, warmup: 0s, repeats: 2}
matrix: {replicas: [2]}
`)
	opt := testOptions()
	opt.Cluster = &Cluster{Connect: cluster.ConnectOptions{URL: srv.URL, Token: srv.Token}, Agents: 2, Run: "t2", Wait: time.Minute}
	retried := make(chan struct{})
	var once sync.Once
	opt.Warn = func(err error) {
		// Other warnings (the agents' version differs from the harness's)
		// come before: the retry's is the one to wait for.
		if strings.Contains(err.Error(), "trying again") {
			once.Do(func() { close(retried) })
		}
	}
	go func() {
		// Stop box-1 once the first measurement is under way on it; start
		// it again, a new process, once the retry began.
		for i := range agents.measuring {
			if i == 1 {
				break
			}
		}
		agents.stop(1)
		<-retried
		agents.start(1)
	}()
	run, err := Run(context.Background(), sc, opt)
	if err != nil {
		t.Fatal(err)
	}
	r := run.Cells[0].Repeats
	if len(r) != 2 {
		t.Fatalf("%d repeats recorded, want 2", len(r))
	}
	if r[0].Failure != "" {
		t.Fatalf("the retry failed: %s", r[0].Failure)
	}
	if len(r[0].Retries) != 1 || !strings.Contains(r[0].Retries[0].Reason, "box-1") {
		t.Fatalf("retries %+v, want one naming box-1", r[0].Retries)
	}
	for _, p := range r[0].Placement {
		if p.Agent != "box-0" {
			t.Errorf("placement %+v: the retry ran on the agent that died", r[0].Placement)
		}
	}
	if len(r[0].Placement) != 2 || r[0].Jobs == 0 {
		t.Errorf("placement %+v, %d jobs: want both replicas on box-0", r[0].Placement, r[0].Jobs)
	}
	if r[1].Failure != "" || len(r[1].Retries) != 0 || len(r[1].Placement) != 2 || r[1].Placement[1].Agent != "box-1" {
		t.Errorf("second measurement: failure %q, retries %+v, placement %+v; want box-1 back", r[1].Failure, r[1].Retries, r[1].Placement)
	}
}

// Two hundred agents, each running one replica in process: registration,
// go and merge finish in seconds, and the merged record is exactly the sum
// of the replicas' reports.
func TestRunOnManyAgents(t *testing.T) {
	if testing.Short() {
		t.Skip("200 agents: skipped in -short mode")
	}
	const n = 200
	srv, err := cluster.StartServer()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	var (
		mu         sync.Mutex
		jobs, hist int64
	)
	work := func(ctx context.Context, raw json.RawMessage, ready func() error) (json.RawMessage, error) {
		var task agent.Task
		if err := json.Unmarshal(raw, &task); err != nil {
			return nil, err
		}
		if err := ready(); err != nil {
			return nil, err
		}
		rep, err := worker.ExecuteWith(ctx, task.Spec, sleeperDef, sleeper{5 * time.Millisecond})
		if err != nil {
			return nil, err
		}
		rep.GOMAXPROCS = task.GOMAXPROCS
		mu.Lock()
		jobs += rep.Snapshot.Jobs
		hist += rep.Snapshot.Hist.TotalCount()
		mu.Unlock()
		return worker.EncodeReport(rep)
	}
	var wg sync.WaitGroup
	ctx, cancel := context.WithCancel(context.Background())
	defer func() { cancel(); wg.Wait() }()
	for i := range n {
		nc, err := srv.Connect(fmt.Sprintf("agent-%d", i))
		if err != nil {
			t.Fatal(err)
		}
		a, err := cluster.NewAgent(nc, cluster.AgentConfig{ID: fmt.Sprintf("a%03d", i), Run: "many", Work: work})
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer nc.Close()
			_ = a.Run(ctx)
		}()
	}
	sc := parse(t, fmt.Sprintf(`name: t
images: {url: "http://127.0.0.1:1", paths: [/64x48/ccc/aaa.jpg]}
load: {duration: 200ms, warmup: 0s, repeats: 1}
matrix: {gomaxprocs: [1], replicas: [%d]}
`, n))
	opt := testOptions()
	opt.Cluster = &Cluster{Connect: cluster.ConnectOptions{URL: srv.URL, Token: srv.Token}, Agents: n, Run: "many", Wait: time.Minute}
	// 200 agents and the harness share this process and its 2 cores, under
	// the race detector too: give their heartbeats room.
	opt.Heartbeat = 5 * time.Second
	start := time.Now()
	run, err := Run(context.Background(), sc, opt)
	if err != nil {
		t.Fatal(err)
	}
	r := run.Cells[0].Repeats[0]
	if r.Failure != "" {
		t.Fatal(r.Failure)
	}
	t.Logf("%d agents: run in %s; spec to ready %.0f ms, go skew %.1f ms", n, time.Since(start).Round(time.Millisecond), r.Start.SpecToReady*1e3, r.Start.Skew*1e3)
	if len(r.Placement) != n || len(run.Environment.Agents) != n {
		t.Errorf("placement of %d replicas over %d agents, want %d", len(r.Placement), len(run.Environment.Agents), n)
	}
	if r.Jobs == 0 || r.Jobs != jobs || r.Histogram.HDR().TotalCount() != hist {
		t.Errorf("merged %d jobs, histogram of %d; the replicas reported %d and %d", r.Jobs, r.Histogram.HDR().TotalCount(), jobs, hist)
	}
}

// sleeper is an instance whose every job takes d, or fails when its
// context ends first.
type sleeper struct{ d time.Duration }

func (s sleeper) Job(ctx context.Context, c *workload.Call) error {
	select {
	case <-time.After(s.d):
		c.Add(0, s.d/2)
		c.Add(1, s.d/2)
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (sleeper) Close() error { return nil }

// sleeperDef is the workload of sleepers: two stages, as the
// thumbnail's first two.
var sleeperDef = func() *workload.Def {
	d, err := workload.Define(workload.Workload[struct{}]{
		Name:   "sleeper",
		Stages: []workload.Stage{{Name: "fetch", Kind: workload.IO}, {Name: "decode", Kind: workload.CPU}},
		Setup: func(context.Context, *workload.Process, struct{}) (workload.Instance, error) {
			return sleeper{}, nil
		},
	})
	if err != nil {
		panic(err)
	}
	return d
}()

// A run of a workload an agent's executable lacks fails at once, before
// anything is measured, naming the workloads the agent has.
func TestRunRefusesAgentsWithoutTheWorkload(t *testing.T) {
	srv, err := cluster.StartServer()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	nc, err := srv.Connect("agent")
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	var measured atomic.Bool
	a, err := cluster.NewAgent(nc, cluster.AgentConfig{ID: "box-9", Run: "wl", Workloads: []string{"payslips"},
		Work: func(context.Context, json.RawMessage, func() error) (json.RawMessage, error) {
			measured.Store(true)
			return nil, errors.New("no measurement expected")
		}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = a.Run(ctx) }()
	defer func() { cancel(); <-done }()
	sc := parse(t, "name: t\nload: {duration: 200ms, warmup: 0s, repeats: 1}\n")
	opt := testOptions()
	opt.Cluster = &Cluster{Connect: cluster.ConnectOptions{URL: srv.URL, Token: srv.Token}, Agents: 1, Run: "wl", Wait: time.Minute}
	_, err = Run(context.Background(), sc, opt)
	if err == nil || !strings.Contains(err.Error(), `workload "thumbnail": agent box-9 on `) || !strings.Contains(err.Error(), "has no such workload; it has: payslips") {
		t.Errorf("Run = %v", err)
	}
	if measured.Load() {
		t.Error("the agent was given a measurement")
	}
}
