// Package testutil holds helpers shared by the tests of several packages.
package testutil

import (
	"fmt"
	"testing"
	"time"
)

// Eventually polls cond, first every millisecond and then less often (up
// to every 20 ms), until it returns true, and fails the test at once
// (t.Fatalf) if it has not within timeout, with the message msgf formats
// from args. Like t.Fatalf it must be called from the test's goroutine.
//
// Use it wherever a test waits for something another goroutine or process
// does: it returns as soon as the condition holds, and a slow machine gets
// the whole timeout instead of a fixed sleep's guess.
func Eventually(t testing.TB, timeout time.Duration, cond func() bool, msgf string, args ...any) {
	t.Helper()
	if !Poll(timeout, cond) {
		t.Fatalf("not within %v: %s", timeout, fmt.Sprintf(msgf, args...))
	}
}

// Poll polls cond as Eventually does and reports whether it returned true
// within timeout, for a test that has more to do than fail when it did not.
func Poll(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for wait := time.Millisecond; ; wait = min(2*wait, 20*time.Millisecond) {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(wait)
	}
}

// Long skips the test in -short mode (make test) and says why it is long;
// make test-long runs it. A long test makes real measurements at length,
// or repeats a check that make test already makes once, many times over.
func Long(t testing.TB, why string) {
	t.Helper()
	if testing.Short() {
		t.Skipf("long: %s; make test-long runs it", why)
	}
}
