package worker

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// StartupTimeout bounds how long a worker process may take to start and
// say it is ready.
const StartupTimeout = 30 * time.Second

// Timing of a worker process's pipes: how long it may take to take a line
// it is sent, and how long, once it has exited, what it wrote to stderr is
// waited for (a process it started and left behind may hold it open).
const (
	sendTimeout = 10 * time.Second
	waitDelay   = 2 * time.Second
)

// ErrDeadline reports a worker process that did not answer in time and was
// killed: stopped, hung, or far slower than its spec allows.
var ErrDeadline = errors.New("worker missed its deadline")

// Command says how to start a worker process.
type Command struct {
	// Argv is the executable and its arguments, e.g. scalebench worker.
	Argv []string
	// Env is the process's whole environment (nil: this process's).
	Env []string
	// Name says which process it is in errors, e.g. "replica 1".
	Name string
	// Silent marks a process that talks to the harness over NATS, as a
	// one-shot agent, instead of over its pipes: its stdout is discarded,
	// and its stdin, open and unused, only tells it the harness is there.
	Silent bool
	// OnExit, if set, is called with how the process ended (nil: exit
	// status 0) when it exits: not when Kill or Close ended it.
	OnExit func(error)
	// OnProgress, if set, is called with each bucket the process sends
	// while Report waits for its report (a spec with Progress set), in
	// Report's goroutine.
	OnProgress func(Progress)
}

// Proc is a worker process and the starter's end of its pipes, for a
// harness or an agent that starts worker processes on its machine. Over
// the pipes it hands the process its spec and the go and stop signals and
// reads its ready and its report (SendSpec, AwaitReady, SendGo, SendStop,
// Report); what the process writes to stderr is kept for errors. Where
// the platform allows, it also pauses and resumes the process and reads
// its CPU clock (a sliced run). Every wait is bounded: a process that
// misses a deadline is killed.
type Proc struct {
	name       string
	cmd        *exec.Cmd
	onExit     func(error)
	onProgress func(Progress)
	// stdin is the process's stdin; out reads its stdout (nil when Silent).
	stdin      *os.File
	stdout     *os.File
	out        *bufio.Reader
	stderr     lockedBuffer
	stderrDone chan struct{}
	// exited is closed once the process is reaped, with how it ended in
	// exitErr; paused receives a value for each group stop it is seen in.
	exited  chan struct{}
	exitErr error
	paused  chan struct{}
	// killed is set when Kill or Close ended the process, expired when a
	// deadline did.
	killed  atomic.Bool
	expired atomic.Bool
	// started is when the process started; sent when the last go or stop
	// signal was sent, and which (for errors).
	started  time.Time
	sent     time.Time
	sentWhat string
	// stopKill ends the kill at the end of the starter's context.
	stopKill  func() bool
	closeOnce sync.Once
	// mu keeps a kill from racing with the release of the process.
	mu       sync.Mutex
	released bool
}

// Start starts a worker process as c says, in a process group of its own;
// it is killed when ctx ends.
func Start(ctx context.Context, c Command) (*Proc, error) {
	if len(c.Argv) == 0 {
		return nil, errors.New("start worker: no executable")
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("start worker %s: %w", c.Argv[0], err)
	}
	// Pipes for stdin, stderr and, unless silent, stdout: the child's
	// ends are closed here once it has started.
	var ours, theirs []*os.File
	pipe := func() (r, w *os.File, err error) {
		if r, w, err = os.Pipe(); err != nil {
			closeFiles(ours)
			closeFiles(theirs)
			return nil, nil, fmt.Errorf("start worker: %w", err)
		}
		return r, w, nil
	}
	inR, inW, err := pipe()
	if err != nil {
		return nil, err
	}
	ours, theirs = append(ours, inW), append(theirs, inR)
	errR, errW, err := pipe()
	if err != nil {
		return nil, err
	}
	ours, theirs = append(ours, errR), append(theirs, errW)
	cmd := exec.Command(c.Argv[0], c.Argv[1:]...)
	cmd.Env = c.Env
	cmd.Stdin, cmd.Stderr = inR, errW
	cmd.SysProcAttr = procAttr()
	p := &Proc{
		name: c.Name, cmd: cmd, onExit: c.OnExit, onProgress: c.OnProgress, stdin: inW,
		stderrDone: make(chan struct{}), exited: make(chan struct{}), paused: make(chan struct{}, 1),
	}
	if !c.Silent {
		outR, outW, err := pipe()
		if err != nil {
			return nil, err
		}
		ours, theirs = append(ours, outR), append(theirs, outW)
		cmd.Stdout = outW
		p.stdout, p.out = outR, bufio.NewReaderSize(outR, 1<<20)
	}
	err = cmd.Start()
	closeFiles(theirs)
	if err != nil {
		closeFiles(ours)
		return nil, fmt.Errorf("start worker %s: %w", c.Argv[0], err)
	}
	p.started = time.Now()
	go func() {
		_, _ = io.Copy(&p.stderr, errR)
		errR.Close()
		close(p.stderrDone)
	}()
	go p.reap()
	p.stopKill = context.AfterFunc(ctx, p.kill)
	return p, nil
}

func closeFiles(fs []*os.File) {
	for _, f := range fs {
		f.Close()
	}
}

// ended records how the process ended, once it is reaped.
func (p *Proc) ended(err error) {
	p.exitErr = err
	close(p.exited)
	if p.onExit != nil && !p.killed.Load() {
		p.onExit(err)
	}
}

// SendSpec hands the process its spec, in this harness's protocol version.
func (p *Proc) SendSpec(spec Spec) error {
	spec.Protocol = ProtocolVersion
	data, err := json.Marshal(spec)
	if err != nil {
		return fmt.Errorf("encode spec: %w", err)
	}
	return p.send("send spec", string(data))
}

// AwaitReady waits until the process says it is ready, at most
// StartupTimeout from its start; otherwise it kills it.
func (p *Proc) AwaitReady() error {
	stop := p.watch(time.Until(p.started.Add(StartupTimeout)))
	line, err := p.out.ReadString('\n')
	stop()
	if err == nil && strings.TrimSpace(line) == msgReady {
		return nil
	}
	p.end()
	if p.expired.Load() {
		return p.Fail("wait for ready", fmt.Errorf("%w: not ready within %s", ErrDeadline, StartupTimeout))
	}
	return p.Fail("wait for ready", errors.Join(err, fmt.Errorf("got %q", line)))
}

// SendGo gives the process the go signal: it starts its run.
func (p *Proc) SendGo() error {
	return p.signalRun("send go", msgGo, "the go signal")
}

// SendStop ends the run of a process given a sliced spec: it then reports.
func (p *Proc) SendStop() error {
	return p.signalRun("send stop", msgStop, "stop")
}

// signalRun sends the go or stop line and notes when.
func (p *Proc) signalRun(op, line, what string) error {
	if err := p.send(op, line); err != nil {
		return err
	}
	p.sent, p.sentWhat = time.Now(), what
	return nil
}

// send writes one protocol line to the process, which must take it within
// sendTimeout.
func (p *Proc) send(op, line string) error {
	stop := p.watch(sendTimeout)
	_, err := p.stdin.WriteString(line + "\n")
	stop()
	if err != nil {
		if p.expired.Load() {
			err = fmt.Errorf("%w: not reading its input %s after it was sent, killed", ErrDeadline, sendTimeout)
		}
		return p.Fail(op, err)
	}
	return nil
}

// Report reads the process's report and waits for it to exit, at most
// until deadline; past it the process is killed and the error wraps
// ErrDeadline.
func (p *Proc) Report(deadline time.Time) (Report, error) {
	stop := p.watch(time.Until(deadline))
	line, readErr := p.readReport()
	p.stdin.Close()
	select {
	case <-p.exited:
	case <-time.After(time.Until(deadline) + sendTimeout):
	}
	stop()
	done, exitErr := p.exit()
	waited := deadline.Sub(p.sent).Round(time.Millisecond)
	switch {
	case (p.expired.Load() || !done) && readErr != nil:
		return Report{}, p.Fail("read report", fmt.Errorf("%w: no report %s after %s, killed", ErrDeadline, waited, p.sentWhat))
	case p.expired.Load() || !done:
		return Report{}, p.Fail("exit", fmt.Errorf("%w: still running %s after %s, killed", ErrDeadline, waited, p.sentWhat))
	case readErr != nil:
		return Report{}, p.Fail("read report", errors.Join(readErr, exitErr))
	}
	rep, err := DecodeReport(line)
	if err != nil {
		return Report{}, p.Fail("decode report", err)
	}
	if exitErr != nil {
		return Report{}, p.Fail("exit", exitErr)
	}
	return rep, nil
}

// readReport reads the report's line, passing the progress lines before
// it to onProgress.
func (p *Proc) readReport() ([]byte, error) {
	for {
		line, err := p.out.ReadBytes('\n')
		rest, isProgress := bytes.CutPrefix(line, []byte(msgProgress))
		if err != nil || !isProgress {
			return line, err
		}
		var pr Progress
		if p.onProgress != nil && json.Unmarshal(rest, &pr) == nil {
			p.onProgress(pr)
		}
	}
}

// exit reports whether the process has exited and, if so, how it ended
// (nil: exit status 0).
func (p *Proc) exit() (bool, error) {
	select {
	case <-p.exited:
		return true, p.exitErr
	default:
		return false, nil
	}
}

// watch kills the process if it is still running after d; the returned
// func cancels the watch.
func (p *Proc) watch(d time.Duration) (stop func()) {
	t := time.AfterFunc(d, func() {
		p.expired.Store(true)
		p.kill() // SIGKILL also ends a stopped process
	})
	return func() { t.Stop() }
}

// kill kills the process unless it has exited, and with it the processes
// it started: its process group.
func (p *Proc) kill() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.released {
		return
	}
	select {
	case <-p.exited:
	default:
		_ = killGroup(p.cmd.Process)
	}
}

// end kills the process unless it has exited, and waits a while for it to.
func (p *Proc) end() {
	p.kill()
	t := time.NewTimer(sendTimeout)
	defer t.Stop()
	select {
	case <-p.exited:
	case <-t.C:
	}
}

// Kill kills the process, if it still runs; OnExit is not told.
func (p *Proc) Kill() {
	p.killed.Store(true)
	p.kill()
}

// Wait waits until the process has exited and what it wrote to stderr is
// read.
func (p *Proc) Wait() {
	<-p.exited
	p.awaitStderr(waitDelay)
}

// Finish closes the process's stdin, which tells a process that talks over
// NATS that the harness is done with it, and waits up to d for it to exit;
// then it kills it.
func (p *Proc) Finish(d time.Duration) {
	_ = p.stdin.Close()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-p.exited:
	case <-t.C:
		p.Close()
	}
}

// Close kills the process unless it has exited, waits a while for it to,
// and closes the pipes. OnExit is not told.
func (p *Proc) Close() {
	p.closeOnce.Do(func() {
		p.killed.Store(true)
		p.end()
		p.stopKill()
		p.stdin.Close()
		if p.stdout != nil {
			p.stdout.Close()
		}
		p.awaitStderr(time.Second)
		select {
		case <-p.exited:
			p.mu.Lock()
			p.released = true
			_ = p.cmd.Process.Release()
			p.mu.Unlock()
		default:
		}
	})
}

// awaitStderr waits at most d for the process's stderr to close.
func (p *Proc) awaitStderr(d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-p.stderrDone:
	case <-t.C:
	}
}

// Fail returns err as a *WorkerError for operation op of this process,
// named as Command.Name says, with what the process wrote to stderr: all of
// it once the process has exited, or what it wrote until a moment from
// now.
func (p *Proc) Fail(op string, err error) error {
	select {
	case <-p.exited:
		p.awaitStderr(waitDelay)
	default:
		p.awaitStderr(100 * time.Millisecond)
	}
	switch {
	case p.name != "" && op != "":
		op = p.name + ": " + op
	case p.name != "":
		op = p.name
	}
	return &WorkerError{Op: op, Err: err, Stderr: p.stderr.String()}
}

// lockedBuffer collects a process's stderr, copied from another goroutine.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// WorkerError is a worker process that failed: the operation, the cause, and
// everything the process wrote to its stderr.
type WorkerError struct {
	Op     string
	Err    error
	Stderr string
	// Saved, when set, is the file the full stderr was written to.
	Saved string
}

func (e *WorkerError) Error() string {
	msg := "worker process: " + e.Op + ": " + e.Err.Error()
	if c := Crash(e.Stderr); c != "" {
		msg += " (stderr: " + c + ")"
	}
	if e.Saved != "" {
		msg += "; full stderr in " + e.Saved
	}
	return msg
}

func (e *WorkerError) Unwrap() error { return e.Err }

// Crash condenses a Go process's stderr to what explains its end: the
// "panic:" or "fatal error:" line and the first frames of the goroutine that
// failed ("f() at file.go:12"), or else the last line written.
func Crash(stderr string) string {
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	for i, l := range lines {
		if !strings.HasPrefix(l, "panic: ") && !strings.HasPrefix(l, "fatal error: ") {
			continue
		}
		out := []string{strings.TrimSpace(l)}
		rest := lines[i+1:]
		// Skip to the first goroutine's header, then take its frames: a
		// function line followed by a tab-indented "file:line +0x.." line.
		for len(rest) > 0 && !strings.HasPrefix(rest[0], "goroutine ") {
			rest = rest[1:]
		}
		if len(rest) > 0 {
			rest = rest[1:]
		}
		for j := 0; j+1 < len(rest) && len(out) <= maxFrames; j += 2 {
			fn, at := rest[j], strings.TrimSpace(rest[j+1])
			if fn == "" || !strings.HasPrefix(rest[j+1], "\t") {
				break
			}
			if k := strings.LastIndex(at, " +0x"); k > 0 {
				at = at[:k]
			}
			out = append(out, fn+" at "+at)
		}
		return strings.Join(out, "; ")
	}
	return strings.TrimSpace(lines[len(lines)-1])
}

// maxFrames is how many stack frames Crash keeps.
const maxFrames = 3
