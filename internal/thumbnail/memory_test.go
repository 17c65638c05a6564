package thumbnail

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scalebench/scalebench/internal/imageserver"
	"github.com/scalebench/scalebench/internal/workload"
)

// TestDecodeSize reads a job's memory from the image header: what the
// mock server's images need, from their bytes, is what DecodeSizeOf says
// of their paths, for both methods; a header cut short asks for more.
func TestDecodeSize(t *testing.T) {
	for _, tc := range []struct {
		path       string
		w, h       int
		format     string
		naive      int64
		fastSmalls bool // the fast method decodes it smaller
	}{
		{"/640x480/ccc/aaa.jpg", 640, 480, "jpeg", 640 * 480 * 3, true},
		{"/128x128/ddd/eee.jpg", 128, 128, "jpeg", 128 * 128 * 3, false},
		{"/320x240/fff/000.png", 320, 240, "png", 320 * 240 * 4, false},
		{"/100x80/fff/000.gif", 100, 80, "gif", 100 * 80, false},
	} {
		t.Run(tc.path, func(t *testing.T) {
			data, _, err := imageserver.Encode(tc.path)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range Methods() {
				opts := Options{Width: 64, Height: 64, Method: m}
				got, err := DecodeSize(data, opts)
				if err != nil {
					t.Fatal(err)
				}
				if of := DecodeSizeOf(tc.w, tc.h, tc.format, opts); of != got {
					t.Errorf("%s: DecodeSizeOf %d, the header says %d", m, of, got)
				}
				switch {
				case m == MethodNaive && got != tc.naive:
					t.Errorf("naive: %d bytes, want %d", got, tc.naive)
				case m == MethodFast && (got < tc.naive) != tc.fastSmalls:
					t.Errorf("fast: %d bytes against naive's %d", got, tc.naive)
				}
			}
			if _, err := DecodeSize(data[:10], Options{Width: 64, Height: 64}); !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Errorf("a header cut short: %v, want io.ErrUnexpectedEOF", err)
			}
		})
	}
}

// peakBudget is a Budget that remembers the most it lent at once.
type peakBudget struct {
	Budget
	mu        sync.Mutex
	used, max int64
}

func (p *peakBudget) Acquire(ctx context.Context, n int64) error {
	if err := p.Budget.Acquire(ctx, n); err != nil {
		return err
	}
	p.mu.Lock()
	p.used += n
	p.max = max(p.max, p.used)
	p.mu.Unlock()
	return nil
}

func (p *peakBudget) Release(n int64) {
	p.mu.Lock()
	p.used -= n
	p.mu.Unlock()
	p.Budget.Release(n)
}

// slowServer serves the mock's 640x480 JPEG at about 100 KB/s, so a job
// holds its memory while the body arrives.
func slowServer(t *testing.T) *httptest.Server {
	t.Helper()
	h, err := imageserver.Handler(imageserver.Config{Bandwidth: 100 << 10})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// TestBudgetAdmits runs jobs on four workers sharing a budget that holds
// two of them: never more than two hold memory at once, the others wait
// in queue, and the wait is counted as Queue, not as fetching.
func TestBudgetAdmits(t *testing.T) {
	srv := slowServer(t)
	url := srv.URL + "/640x480/ccc/aaa.jpg"
	need := DecodeSizeOf(640, 480, "jpeg", Options{Width: 64, Height: 64, Method: MethodNaive})
	budget := &peakBudget{Budget: workload.NewBudget(2*need + need/2)}
	var wg sync.WaitGroup
	timings := make([]Timings, 4)
	for i := range timings {
		th, err := New(Options{Width: 64, Height: 64, Method: MethodNaive}, NewClient(4))
		if err != nil {
			t.Fatal(err)
		}
		th.SetBudget(budget)
		wg.Go(func() {
			tm, err := th.Do(context.Background(), url)
			if err != nil {
				t.Error(err)
			}
			timings[i] = tm
		})
	}
	wg.Wait()
	if budget.max != 2*need || budget.used != 0 {
		t.Errorf("peak reserved %d bytes (in use at the end %d), want two jobs' %d", budget.max, budget.used, 2*need)
	}
	var queued, waited int
	for _, tm := range timings {
		if tm.Queue > 20*time.Millisecond {
			queued++
		}
		if tm.Queue > 0 {
			waited++
		}
		if tm.Fetch <= 0 || tm.Total() < tm.Queue+tm.Fetch {
			t.Errorf("timings %+v", tm)
		}
	}
	if queued < 2 {
		t.Errorf("%d of 4 jobs waited in queue, want at least the two the budget had no room for: %+v", queued, timings)
	}
}

// TestOverBudget fails a job that needs more than the whole budget, at
// once, naming both sizes.
func TestOverBudget(t *testing.T) {
	srv := slowServer(t)
	th, err := New(Options{Width: 64, Height: 64, Method: MethodNaive}, nil)
	if err != nil {
		t.Fatal(err)
	}
	th.SetBudget(workload.NewBudget(512 << 10))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err = th.Do(ctx, srv.URL+"/640x480/ccc/aaa.jpg")
	if !errors.Is(err, ErrOverBudget) || Kind(err) != KindTooLarge ||
		!strings.Contains(err.Error(), "needs 900KiB to decode, the budget is 512KiB") {
		t.Errorf("error %v (kind %q), want the job refused naming 900KiB and 512KiB", err, Kind(err))
	}
}

// TestNoBudgetNoQueue keeps a Thumbnailer without a budget as it was: no
// wait counted.
func TestNoBudgetNoQueue(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		data, _, _ := imageserver.Encode("/64x48/ccc/aaa.jpg")
		w.Write(data)
	}))
	defer srv.Close()
	for _, m := range Methods() {
		th, err := New(Options{Width: 16, Height: 16, Method: m}, nil)
		if err != nil {
			t.Fatal(err)
		}
		tm, err := th.Do(context.Background(), srv.URL+"/x.jpg")
		if err != nil || tm.Queue != 0 {
			t.Errorf("%s: %v, queue %v", m, err, tm.Queue)
		}
	}
}
