package thumbnail

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"syscall"
	"testing"
	"time"
)

func TestKind(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"nil", nil, ""},
		{"refused", &StageError{StageFetch, "u", &net.OpError{Op: "dial", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}}, KindUnreachable},
		{"reset", &StageError{StageFetch, "u", fmt.Errorf("read: %w", syscall.ECONNRESET)}, KindUnreachable},
		{"timeout", &StageError{StageFetch, "u", context.DeadlineExceeded}, KindTimeout},
		{"503", &StageError{StageFetch, "u", &StatusError{Code: 503, Status: "503 Service Unavailable"}}, "http-5xx"},
		{"404", &StageError{StageFetch, "u", &StatusError{Code: 404, Status: "404 Not Found"}}, "http-4xx"},
		{"too large", &StageError{StageDecode, "n", fmt.Errorf("%w: 8192x8192", ErrTooLarge)}, KindTooLarge},
		{"decode", &StageError{StageDecode, "n", errors.New("unexpected EOF")}, StageDecode},
		{"write", &StageError{StageWrite, "n", os.ErrPermission}, StageWrite},
		{"other", errors.New("boom"), KindOther},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Kind(tt.err); got != tt.want {
				t.Errorf("Kind(%v) = %q, want %q", tt.err, got, tt.want)
			}
		})
	}
}

// Real failures of Do are classified by kind, and their messages keep the
// form "thumbnail: STAGE SUBJECT: cause".
func TestDoErrorKinds(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/503.jpg":
			http.Error(w, "busy", http.StatusServiceUnavailable)
		case "/slow.jpg":
			time.Sleep(200 * time.Millisecond)
		default:
			_, _ = w.Write([]byte("not an image"))
		}
	}))
	defer srv.Close()
	closed := httptest.NewServer(http.NotFoundHandler())
	deadURL := closed.URL + "/x.jpg"
	closed.Close()

	th, err := New(Options{Width: 64, Height: 64}, NewClient(1))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		url, want, msg string
		timeout        time.Duration
	}{
		{srv.URL + "/503.jpg", "http-5xx", "thumbnail: fetch " + srv.URL + "/503.jpg: unexpected status 503 Service Unavailable", time.Second},
		{srv.URL + "/junk.jpg", StageDecode, "thumbnail: decode ", time.Second},
		{srv.URL + "/slow.jpg", KindTimeout, "thumbnail: fetch ", 20 * time.Millisecond},
		{deadURL, KindUnreachable, "thumbnail: fetch " + deadURL, time.Second},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), tc.timeout)
		_, err := th.Do(ctx, tc.url)
		cancel()
		if got := Kind(err); got != tc.want {
			t.Errorf("%s: Kind(%v) = %q, want %q", tc.url, err, got, tc.want)
		}
		if err == nil || len(err.Error()) < len(tc.msg) || err.Error()[:len(tc.msg)] != tc.msg {
			t.Errorf("%s: error %q, want it to start %q", tc.url, err, tc.msg)
		}
	}
}
