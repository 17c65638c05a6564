package runner

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"time"
)

// ProtocolVersion is the version of the worker protocol: the messages
// between the harness and a worker process (Spec, "ready", "go", Report)
// and what their fields mean. Change it with any change a worker of the
// previous version would misread; an A/B run needs both builds to speak
// the same version.
//
// Version 2: a worker process started by the harness speaks cluster
// protocol 2 over NATS (cluster.Protocol), and takes no unknown field in
// its task.
const ProtocolVersion = 2

// ProtocolError is a spec whose protocol version this worker does not speak.
type ProtocolError struct {
	// Harness is the version the spec carries (0: a harness from before
	// versioned protocols); Worker is this worker's.
	Harness, Worker int
}

func (e *ProtocolError) Error() string {
	h := fmt.Sprint(e.Harness)
	if e.Harness == 0 {
		h = "0 (a harness from before versioned protocols)"
	}
	return fmt.Sprintf("worker protocol mismatch: the harness speaks version %s, this worker speaks version %d; "+
		"rebuild both builds from commits with the same worker protocol, "+
		"or run each build on its own and compare the result files with `scalebench compare BASE.json HEAD.json`",
		h, e.Worker)
}

// checkProtocol fails at once for a spec of another protocol version.
func checkProtocol(spec Spec) error {
	if spec.Protocol != ProtocolVersion {
		return &ProtocolError{Harness: spec.Protocol, Worker: ProtocolVersion}
	}
	return nil
}

// Description is what `scalebench worker --describe` prints, as JSON: who
// the executable is and which worker protocol it speaks.
type Description struct {
	Version  string `json:"version"`
	Commit   string `json:"commit,omitempty"`
	Protocol int    `json:"protocol"`
}

// WriteDescription prints this executable's Description as one JSON line.
func WriteDescription(w io.Writer, version, commit string) error {
	data, err := json.Marshal(Description{Version: version, Commit: commit, Protocol: ProtocolVersion})
	if err != nil {
		return fmt.Errorf("worker: describe: %w", err)
	}
	_, err = fmt.Fprintf(w, "%s\n", data)
	return err
}

// describeTimeout bounds how long an executable may take to describe itself.
const describeTimeout = 30 * time.Second

// Describe asks the scalebench executable at path who it is and which
// worker protocol it speaks (`PATH worker --describe`). An executable too
// old to answer is asked its version (`PATH --version`) for the error.
func Describe(ctx context.Context, path string) (Description, error) {
	ctx, cancel := context.WithTimeout(ctx, describeTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, path, "worker", "--describe").Output()
	var d Description
	if err == nil {
		if jerr := json.Unmarshal(out, &d); jerr == nil && d.Protocol > 0 {
			return d, nil
		}
	}
	what := "it did not describe itself"
	if v, verr := exec.CommandContext(ctx, path, "--version").Output(); verr == nil {
		what = strings.TrimSpace(string(v)) + " does not tell its worker protocol"
	} else if err != nil {
		return d, fmt.Errorf("describe %s: %w", path, err)
	}
	return d, fmt.Errorf("describe %s: %s, so it predates versioned worker protocols (this harness speaks version %d): "+
		"rebuild it from a commit with the same worker protocol, or run it on its own and compare the result files with `scalebench compare`",
		path, what, ProtocolVersion)
}
