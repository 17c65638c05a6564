package worker

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/scalebench/scalebench/internal/metrics"
)

// The worker protocol, one line each over the worker process's stdin and
// stdout: harness → spec (JSON); worker → "ready"; harness → "go"; worker →
// report (JSON). The handshake lets every replica finish starting up before
// any measures. A sliced spec's run ends when the harness sends "stop";
// then the worker reports. A spec with Progress set is also sent a line
// "progress" and a Progress (JSON) for each bucket of its window, before
// the report.
const (
	msgReady    = "ready"
	msgGo       = "go"
	msgStop     = "stop"
	msgProgress = "progress "
)

// Main is the body of a worker process that speaks the worker protocol
// over its pipes: it reads a Spec from stdin, sets its workload up
// (Prepare), says it is ready, waits for the go signal, runs the spec and
// writes its Report to stdout. It stops
// measuring as soon as its stdin closes: the harness that started it is
// gone.
func Main(ctx context.Context, stdin io.Reader, stdout io.Writer) error {
	in := bufio.NewReader(stdin)
	line, err := in.ReadBytes('\n')
	if err != nil {
		return fmt.Errorf("worker: read spec: %w", err)
	}
	var spec Spec
	if err := json.Unmarshal(line, &spec); err != nil {
		return fmt.Errorf("worker: decode spec: %w", err)
	}
	if err := CheckProtocol(spec); err != nil {
		return err
	}
	r, err := Prepare(ctx, spec)
	if err != nil {
		return err
	}
	defer r.Close()
	if _, err := fmt.Fprintln(stdout, msgReady); err != nil {
		return fmt.Errorf("worker: send ready: %w", err)
	}
	goLine, err := in.ReadString('\n')
	if err != nil || strings.TrimSpace(goLine) != msgGo {
		return fmt.Errorf("worker: expected %q, got %q: %v", msgGo, goLine, err)
	}
	ctx, cancel := watchHarness(ctx, in, spec.Sliced)
	defer cancel(nil)
	if spec.Progress {
		ctx = WithProgress(ctx, progressLines(stdout))
	}
	rep, err := r.Run(ctx)
	if cerr := r.Close(); err == nil {
		err = cerr
	}
	switch cause := context.Cause(ctx); {
	case errors.Is(cause, ErrHarnessGone):
		return cause
	case errors.Is(cause, errStopped):
		err = nil // the end of a sliced run
	}
	if err != nil {
		return err
	}
	out, err := EncodeReport(rep)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "%s\n", out)
	return err
}

// progressLines returns the send function that writes each bucket to w
// as a progress line. A line that cannot be written is dropped: the
// report, written after the last, says whether the pipe still works.
func progressLines(w io.Writer) func(Progress) {
	return func(p Progress) {
		data, err := json.Marshal(p)
		if err != nil {
			return
		}
		_, _ = fmt.Fprintf(w, "%s%s\n", msgProgress, data)
	}
}

// ErrHarnessGone ends a worker whose harness closed its stdin
// mid-measurement.
var ErrHarnessGone = errors.New("worker: harness closed the control pipe")

// errStopped ends a sliced run: the harness sent "stop".
var errStopped = errors.New("worker: the harness ended the sliced run")

// WatchHarness returns a copy of ctx that ends, with cause ErrHarnessGone,
// when stdin reaches its end: the stdin of a worker process, which its
// harness holds open and writes nothing more to until it is gone.
func WatchHarness(ctx context.Context, stdin io.Reader) (context.Context, context.CancelCauseFunc) {
	return watchHarness(ctx, bufio.NewReader(stdin), false)
}

// watchHarness is WatchHarness over in; with sliced, a "stop" line first
// ends the context with cause errStopped.
func watchHarness(ctx context.Context, in *bufio.Reader, sliced bool) (context.Context, context.CancelCauseFunc) {
	ctx, cancel := context.WithCancelCause(ctx)
	go func() {
		if sliced {
			if line, err := in.ReadString('\n'); err == nil && strings.TrimSpace(line) == msgStop {
				cancel(errStopped)
			}
		}
		_, _ = io.Copy(io.Discard, in)
		cancel(ErrHarnessGone)
	}()
	return ctx, cancel
}

// reportMessage is a Report as a worker sends it: the snapshot's latency
// histogram travels encoded beside it.
type reportMessage struct {
	Report
	Histogram *metrics.EncodedHistogram `json:"histogram"`
}

// EncodeReport encodes rep as a worker sends it.
func EncodeReport(rep Report) (json.RawMessage, error) {
	out, err := json.Marshal(reportMessage{Report: rep, Histogram: metrics.EncodeHistogram(rep.Snapshot.Hist)})
	if err != nil {
		return nil, fmt.Errorf("worker: encode report: %w", err)
	}
	return out, nil
}

// DecodeReport decodes a report as a worker sent it.
func DecodeReport(data []byte) (Report, error) {
	var msg reportMessage
	if err := json.Unmarshal(data, &msg); err != nil {
		return Report{}, fmt.Errorf("decode report: %w", err)
	}
	msg.Snapshot.Hist = msg.Histogram.HDR()
	return msg.Report, nil
}
