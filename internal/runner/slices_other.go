//go:build !linux

package runner

import "context"

const slicesSupported = false

// runSession cannot run here: CheckSlicing refuses sliced runs first.
func runSession(context.Context, *session) (sessionOutcome, error) {
	return sessionOutcome{}, ErrSlicesUnsupported
}
