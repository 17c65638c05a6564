package thumbnail

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
)

// The stages of a job, as error kinds and in StageError.
const (
	StageFetch  = "fetch"
	StageDecode = "decode"
	StageResize = "resize"
	StageEncode = "encode"
	StageWrite  = "write"
)

// StageError is a job that failed in one stage, on one URL or image name.
type StageError struct {
	Stage   string // StageFetch, StageDecode, ...
	Subject string // the URL or image name
	Err     error
}

func (e *StageError) Error() string {
	return fmt.Sprintf("thumbnail: %s %s: %v", e.Stage, e.Subject, e.Err)
}

func (e *StageError) Unwrap() error { return e.Err }

// StatusError is a fetch answered with a status other than 2xx.
type StatusError struct {
	Code   int
	Status string // e.g. "503 Service Unavailable"
}

func (e *StatusError) Error() string { return "unexpected status " + e.Status }

// Error kinds, besides the stages, that Kind reports.
const (
	KindUnreachable = "unreachable" // no connection to the image server
	KindTimeout     = "timeout"     // the job's timeout ended it
	KindTooLarge    = "too-large"   // refused by the decode or body budget
	KindOther       = "other"
)

// Kind names what kind of failure err is, for counting a run's errors by
// kind: "unreachable", "timeout", "http-4xx" or "http-5xx", "too-large",
// the stage that failed ("decode", "encode", ...), or "other".
func Kind(err error) string {
	var (
		op     *net.OpError
		status *StatusError
		stage  *StageError
		netErr net.Error
	)
	switch {
	case err == nil:
		return ""
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) ||
		(errors.As(err, &netErr) && netErr.Timeout()):
		return KindTimeout
	case errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		(errors.As(err, &op) && op.Op == "dial"):
		return KindUnreachable
	case errors.As(err, &status):
		return fmt.Sprintf("http-%dxx", status.Code/100)
	case errors.Is(err, ErrTooLarge):
		return KindTooLarge
	case errors.As(err, &stage):
		return stage.Stage
	}
	return KindOther
}
