package imageserver

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"

	"golang.org/x/sync/semaphore"
)

// Defaults of the render budget and cache (see Config).
const (
	// DefaultRenderPixels is the default of Config.RenderPixels: one image
	// of the default MaxSize, 8000x8000, at a time (about 600 MB while it
	// is rendered and encoded, 10 bytes a pixel).
	DefaultRenderPixels = defaultMaxSize * defaultMaxSize
	// DefaultCacheBytes is the default of Config.CacheBytes.
	DefaultCacheBytes = 256 << 20
)

// images renders encoded images within a budget and caches them by their
// parsed path, generating each at most once even when many requests ask
// for it at the same time.
type images struct {
	maxPixels int64               // largest image rendered; the pixel budget
	pixels    *semaphore.Weighted // pixels being rendered, at most maxPixels
	renders   *semaphore.Weighted // images being rendered

	mu       sync.Mutex
	entries  map[spec]*cacheEntry
	lru      list.List // of *cacheEntry, cached ones only, most recent first
	bytes    int64     // encoded bytes of the cached entries
	maxBytes int64
	rendered int64 // images rendered so far, for tests
	waits    int64 // times a request waited for another's render, for tests
}

type cacheEntry struct {
	sp    spec
	ready chan struct{} // closed once the fields below are set
	data  []byte
	ctype string
	err   error
	elem  *list.Element // in lru while cached
}

// newImages returns images with a budget of maxPixels pixels rendered at
// once by at most maxRenders renders, keeping up to maxBytes of encoded
// images.
func newImages(maxPixels int64, maxRenders int, maxBytes int64) *images {
	return &images{
		maxPixels: maxPixels,
		pixels:    semaphore.NewWeighted(maxPixels),
		renders:   semaphore.NewWeighted(int64(maxRenders)),
		entries:   make(map[spec]*cacheEntry),
		maxBytes:  maxBytes,
	}
}

// defaultImages serves Encode.
var defaultImages = sync.OnceValue(func() *images {
	return newImages(DefaultRenderPixels, runtime.GOMAXPROCS(0), DefaultCacheBytes)
})

// errOverBudget marks an image larger than the pixel budget.
var errOverBudget = errors.New("over the render budget")

// checkBudget reports an error wrapping errOverBudget if sp can never be
// rendered within the budget.
func (c *images) checkBudget(sp spec) error {
	if px := int64(sp.w) * int64(sp.h); px > c.maxPixels {
		return fmt.Errorf("%w: %dx%d is %d pixels, more than the server renders at once (%d)", errOverBudget, sp.w, sp.h, px, c.maxPixels)
	}
	return nil
}

// get returns the encoded image for sp and its content type, from the
// cache or rendered once the budget allows. It gives up with ctx's error
// when ctx ends first, whether waiting for the budget or rendering. When
// the request rendering an image others wait for goes away, one of them
// renders it instead.
func (c *images) get(ctx context.Context, sp spec) ([]byte, string, error) {
	if err := c.checkBudget(sp); err != nil {
		return nil, "", err
	}
	for {
		c.mu.Lock()
		e, ok := c.entries[sp]
		if !ok {
			e = &cacheEntry{sp: sp, ready: make(chan struct{})}
			c.entries[sp] = e
			c.mu.Unlock()
			c.render(ctx, e)
			return e.data, e.ctype, e.err
		}
		if e.elem != nil {
			c.lru.MoveToFront(e.elem)
		} else {
			c.waits++
		}
		c.mu.Unlock()
		select {
		case <-e.ready:
		case <-ctx.Done():
			return nil, "", ctx.Err()
		}
		if isContextErr(e.err) && ctx.Err() == nil {
			continue // its renderer went away, not us: try again
		}
		return e.data, e.ctype, e.err
	}
}

// render fills in e within the budget, then caches it (or forgets it if
// it failed) and wakes its waiters.
func (c *images) render(ctx context.Context, e *cacheEntry) {
	e.data, e.ctype, e.err = c.encode(ctx, e.sp)
	c.mu.Lock()
	switch n := int64(len(e.data)); {
	case e.err != nil || n > c.maxBytes:
		delete(c.entries, e.sp)
	default:
		e.elem = c.lru.PushFront(e)
		c.bytes += n
		for c.bytes > c.maxBytes {
			old := c.lru.Remove(c.lru.Back()).(*cacheEntry)
			old.elem = nil
			delete(c.entries, old.sp)
			c.bytes -= int64(len(old.data))
		}
	}
	c.mu.Unlock()
	close(e.ready)
}

// encode renders and encodes sp once its pixels fit the budget and a
// render slot is free.
func (c *images) encode(ctx context.Context, sp spec) ([]byte, string, error) {
	px := int64(sp.w) * int64(sp.h)
	if err := c.pixels.Acquire(ctx, px); err != nil {
		return nil, "", err
	}
	defer c.pixels.Release(px)
	if err := c.renders.Acquire(ctx, 1); err != nil {
		return nil, "", err
	}
	defer c.renders.Release(1)
	c.mu.Lock()
	c.rendered++
	c.mu.Unlock()
	return encodeSpec(ctx, sp)
}

// renderCount reports how many images have been rendered so far.
func (c *images) renderCount() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.rendered
}

// cached reports the number and encoded bytes of the cached images.
func (c *images) cached() (n int, bytes int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len(), c.bytes
}

func isContextErr(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}
