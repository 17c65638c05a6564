//go:build linux

package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/scalebench/scalebench/internal/cluster"
	"github.com/scalebench/scalebench/internal/results"
	"github.com/scalebench/scalebench/internal/testutil"
)

// The machines of TestScaleOutAcrossNamespaces: a private subnet that
// exists only inside the test's own network namespaces.
const (
	nsSubnet  = "10.203.0.%d/24"
	nsHarness = "10.203.0.1"
	nsPort    = "4222"
	// natsServerEnv makes this test binary a NATS server listening on the
	// address it names, with the token in cluster.EnvToken.
	natsServerEnv = "SCALEBENCH_TEST_NATS_SERVER"
)

// init lets this test binary run as the NATS server of the namespace test,
// before TestMain builds anything.
func init() {
	addr := os.Getenv(natsServerEnv)
	if addr == "" {
		return
	}
	host, port, _ := strings.Cut(addr, ":")
	var p int
	fmt.Sscan(port, &p)
	srv, err := server.NewServer(&server.Options{
		Host: host, Port: p, Authorization: os.Getenv(cluster.EnvToken), NoSigs: true, NoLog: true,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "nats server:", err)
		os.Exit(1)
	}
	srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		fmt.Fprintln(os.Stderr, "nats server: not ready")
		os.Exit(1)
	}
	fmt.Println("ready")
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, os.Interrupt)
	<-sigs
	srv.Shutdown()
	os.Exit(0)
}

// netns is a network namespace of the test's own.
type netns string

// exec starts argv inside the namespace with env added.
func (n netns) command(env []string, argv ...string) *exec.Cmd {
	cmd := exec.Command("ip", append([]string{"netns", "exec", string(n)}, argv...)...)
	cmd.Env = append(os.Environ(), env...)
	return cmd
}

// ip runs the ip command, failing the test with its output.
func ip(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
		t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
	}
}

// threeHosts creates three network namespaces, a harness and two agents,
// joined by a bridge in the harness's namespace on a private subnet. They
// are removed when the test ends.
func threeHosts(t *testing.T) (harness netns, agents []netns) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("skipped: creating network namespaces needs root (CI runs this test as root)")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("skipped: no `ip` command to create network namespaces (install iproute2)")
	}
	prefix := fmt.Sprintf("sbt%d", os.Getpid())
	names := []netns{netns(prefix + "-h"), netns(prefix + "-a1"), netns(prefix + "-a2")}
	for i, n := range names {
		if out, err := exec.Command("ip", "netns", "add", string(n)).CombinedOutput(); err != nil {
			if i == 0 {
				t.Skipf("skipped: cannot create a network namespace here: %v: %s", err, out)
			}
			t.Fatalf("ip netns add %s: %v: %s", n, err, out)
		}
		t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", string(n)).Run() })
		ip(t, "-n", string(n), "link", "set", "lo", "up")
	}
	h := string(names[0])
	ip(t, "-n", h, "link", "add", "br0", "type", "bridge")
	ip(t, "-n", h, "addr", "add", fmt.Sprintf(nsSubnet, 1), "dev", "br0")
	ip(t, "-n", h, "link", "set", "br0", "up")
	for i, a := range names[1:] {
		// Both ends are created inside the namespaces: the test touches no
		// interface of the machine it runs on.
		v := fmt.Sprintf("v%d", i+1)
		ip(t, "-n", h, "link", "add", v, "type", "veth", "peer", "name", "eth0", "netns", string(a))
		ip(t, "-n", h, "link", "set", v, "master", "br0")
		ip(t, "-n", h, "link", "set", v, "up")
		ip(t, "-n", string(a), "addr", "add", fmt.Sprintf(nsSubnet, i+2), "dev", "eth0")
		ip(t, "-n", string(a), "link", "set", "eth0", "up")
	}
	return names[0], names[1:]
}

// lockedOutput collects a child's output while the test reads it.
type lockedOutput struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (o *lockedOutput) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.Write(p)
}

func (o *lockedOutput) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}

// background starts cmd and stops it (SIGTERM, then SIGKILL) when the test
// ends; its output is kept for failure messages.
func background(t *testing.T, cmd *exec.Cmd) *lockedOutput {
	t.Helper()
	out := &lockedOutput{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	return out
}

// Three "machines" on one host: the harness and a NATS server in one
// network namespace, an agent in each of two others. A scenario with
// replicas [1, 2] runs across the agents; then one agent's worker is killed
// mid-measurement, and the measurement is retried on the other agent.
func TestScaleOutAcrossNamespaces(t *testing.T) {
	testutil.Long(t, "three network namespaces and real runs across them")
	harness, agents := threeHosts(t)
	token, err := cluster.NewToken()
	if err != nil {
		t.Fatal(err)
	}
	env := []string{cluster.EnvToken + "=" + token}
	url := "nats://" + nsHarness + ":" + nsPort

	natsCmd := harness.command(append(env, natsServerEnv+"="+nsHarness+":"+nsPort), os.Args[0])
	natsOut := background(t, natsCmd)
	testutil.Eventually(t, 30*time.Second, func() bool { return strings.Contains(natsOut.String(), "ready") },
		"the NATS server to start: %s", natsOut)
	var agentCmds []*exec.Cmd
	var agentOut []*lockedOutput
	for i, a := range agents {
		cmd := a.command(env, bin, "agent", "--nats", url, "--run", "ns", "--id", fmt.Sprintf("agent-%d", i+1))
		agentOut = append(agentOut, background(t, cmd))
		agentCmds = append(agentCmds, cmd)
	}
	logs := func() string {
		var b strings.Builder
		for i, o := range agentOut {
			fmt.Fprintf(&b, "agent-%d:\n%s\n", i+1, o.String())
		}
		return b.String()
	}
	dir := t.TempDir()
	run := func(name, yaml string, onWorker func(pid int)) *results.Run {
		t.Helper()
		sc := writeFile(t, dir, name+".yaml", yaml)
		out := filepath.Join(dir, name)
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "ip", "netns", "exec", string(harness), bin, "run", sc,
			"--nats", url, "--agents", "2", "--run-id", "ns", "--agents-wait", "60s", "--out", out)
		cmd.Env = append(os.Environ(), env...)
		var stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stderr, &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		ended, watched := make(chan struct{}), make(chan struct{})
		go func() {
			defer close(watched)
			if onWorker == nil {
				return
			}
			// The agent's worker: the ip command execs the agent, whose
			// child is the worker process.
			for {
				if w := workersOf(agentCmds[1].Process.Pid); len(w) > 0 {
					onWorker(w[0])
					return
				}
				select {
				case <-ended:
					return
				case <-time.After(10 * time.Millisecond):
				}
			}
		}()
		err := cmd.Wait()
		close(ended)
		<-watched
		if err != nil {
			t.Fatalf("run %s: %v\n%s\n%s", name, err, stderr.String(), logs())
		}
		var r results.Run
		readResults(t, out, &r)
		for _, f := range []string{"results.json", "report.html", "summary.md"} {
			if data, _ := os.ReadFile(filepath.Join(out, f)); bytes.Contains(data, []byte(token)) {
				t.Errorf("%s holds the NATS token", f)
			}
		}
		if strings.Contains(stderr.String(), token) {
			t.Error("the run's output shows the NATS token")
		}
		return &r
	}

	r := run("spread", `name: spread
images: {latency: 2ms, paths: [/64x48/ccc/aaa.jpg]}
thumbnail: {width: 16, height: 16}
load: {model: batch, jobs: 12, warmup: 0s, repeats: 1}
matrix: {workers: [2], replicas: [1, 2]}
`, nil)
	for _, c := range r.Cells {
		if len(c.Repeats) != 1 || c.Repeats[0].Failure != "" {
			t.Fatalf("cell %s: repeats %+v\n%s", c.Params, c.Repeats, logs())
		}
		rep := c.Repeats[0]
		if rep.Jobs != 12 || rep.Histogram.HDR().TotalCount() != 12 {
			t.Errorf("cell %s: %d jobs, histogram of %d: want the batch of 12 once", c.Params, rep.Jobs, rep.Histogram.HDR().TotalCount())
		}
		var on []string
		for _, p := range rep.Placement {
			on = append(on, p.Agent)
		}
		slices.Sort(on)
		if want := []string{"agent-1", "agent-2"}[:c.Params.Replicas]; !slices.Equal(on, want) {
			t.Errorf("cell %s: replicas ran on %v, want %v", c.Params, on, want)
		}
		if rep.Start == nil || rep.Start.SpecToReady <= 0 || rep.Start.Skew < 0 {
			t.Errorf("cell %s: start %+v", c.Params, rep.Start)
		}
		t.Logf("cell %s: spec to ready %.1f ms, go skew %.0f µs, placement %+v", c.Params, rep.Start.SpecToReady*1e3, rep.Start.Skew*1e6, rep.Placement)
	}

	// Kill agent-2's worker a moment into its window.
	var killed int
	r = run("kill", `name: kill
images: {paths: [/64x48/ccc/aaa.jpg]}
thumbnail: {width: 16, height: 16}
load: {duration: 2s, warmup: 0s, repeats: 1}
matrix: {workers: [1], replicas: [2]}
`, func(pid int) {
		// A moment into its window: once it measures.
		from := cpuTime(pid)
		testutil.Poll(30*time.Second, func() bool { return measuring(pid, from) })
		killed = pid
		_ = syscall.Kill(pid, syscall.SIGKILL)
	})
	if killed == 0 {
		t.Fatalf("agent-2 started no worker to kill\n%s", logs())
	}
	reps := r.Cells[0].Repeats
	if len(reps) != 1 {
		t.Fatalf("%d repeats recorded for 1 measurement, want 1", len(reps))
	}
	rep := reps[0]
	if rep.Failure != "" || len(rep.Retries) != 1 || !strings.Contains(rep.Retries[0].Reason, "agent-2") {
		t.Fatalf("failure %q, retries %+v: want one retry naming agent-2\n%s", rep.Failure, rep.Retries, logs())
	}
	t.Logf("retry: %+v", rep.Retries[0])
	var replicas []int
	for _, p := range rep.Placement {
		replicas = append(replicas, p.Replica)
		if p.Agent != "agent-1" {
			t.Errorf("the retry ran replica %d on %s, want agent-1 (agent-2 was left out)", p.Replica, p.Agent)
		}
	}
	slices.Sort(replicas)
	if !slices.Equal(replicas, []int{0, 1}) || rep.Jobs == 0 || rep.Histogram.HDR().TotalCount() != rep.Jobs {
		t.Errorf("replicas %v, %d jobs, histogram of %d: want both replicas once, every job counted once",
			replicas, rep.Jobs, rep.Histogram.HDR().TotalCount())
	}
	for _, a := range agentCmds {
		if w := workersOf(a.Process.Pid); len(w) > 0 {
			t.Errorf("workers %v outlived the run", w)
		}
	}

	// A harness killed outright sends no abort: the agents notice it is
	// gone and stop their workers long before the 60 s window ends.
	sc := writeFile(t, dir, "long.yaml", `name: long
images: {paths: [/64x48/ccc/aaa.jpg]}
thumbnail: {width: 16, height: 16}
load: {duration: 60s, warmup: 0s, repeats: 1, timeout: 1s}
matrix: {workers: [1], replicas: [2]}
`)
	h := harness.command(env, bin, "run", sc, "--nats", url, "--agents", "2", "--run-id", "ns", "--out", filepath.Join(dir, "long"))
	if err := h.Start(); err != nil {
		t.Fatal(err)
	}
	var workers []int
	if !testutil.Poll(time.Minute, func() bool {
		workers = append(workersOf(agentCmds[0].Process.Pid), workersOf(agentCmds[1].Process.Pid)...)
		return len(workers) >= 2
	}) {
		_ = h.Process.Kill()
		_ = h.Wait()
		t.Fatalf("the agents started %d workers, want 2\n%s", len(workers), logs())
	}
	// Kill the harness once both workers measure.
	from := []time.Duration{cpuTime(workers[0]), cpuTime(workers[1])}
	testutil.Poll(30*time.Second, func() bool { return measuring(workers[0], from[0]) && measuring(workers[1], from[1]) })
	_ = h.Process.Kill()
	_ = h.Wait()
	killedAt := time.Now()
	for _, w := range workers {
		if !testutil.Poll(30*time.Second-time.Since(killedAt), func() bool { return !alive(w) }) {
			t.Fatalf("worker %d still runs 30 s after its harness was killed\n%s", w, logs())
		}
	}
	t.Logf("the agents' workers stopped %s after the harness was killed", time.Since(killedAt).Round(time.Millisecond))
}
