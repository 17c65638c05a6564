package thumbnail

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"strings"
	"time"

	"github.com/scalebench/scalebench/internal/thumbnail/jpeg"
)

// A Budget is memory shared by the jobs of one process: a job reserves
// the memory its decode needs (DecodeSize) before it goes on, waiting
// while the budget is full, and returns it when done. More memory admits
// more jobs at once. workload.Budget, which the worker gives each process,
// is one.
type Budget interface {
	// Size is the whole budget in bytes.
	Size() int64
	// Acquire reserves n bytes, waiting until they are free or ctx ends.
	Acquire(ctx context.Context, n int64) error
	// Release returns n bytes reserved by Acquire.
	Release(n int64)
}

// ErrOverBudget marks a job that needs more memory than its process's
// whole budget: it could never be admitted.
var ErrOverBudget = fmt.Errorf("%w: needs more memory than the budget", ErrTooLarge)

// errShortHeader means the bytes given end before the image header does.
var errShortHeader = errors.New("image header incomplete")

// DecodeSize is the memory a job with opts needs to decode the image that
// data begins with, read from its header alone: the decoded pixels at the
// scale the method decodes at (the full size for naive; for fast, the
// reduced DCT scale of a JPEG) times the bytes a pixel costs (see
// checkBudget), as the decode budget counts them. data may hold only the
// first bytes of the image; when they end before the header does, the
// error wraps io.ErrUnexpectedEOF.
func DecodeSize(data []byte, opts Options) (int64, error) {
	opts = opts.withDefaults()
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		// The image package's decoders do not all wrap it (GIF's says
		// "gif: reading header: unexpected EOF").
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) || strings.HasSuffix(err.Error(), io.ErrUnexpectedEOF.Error()) {
			return 0, fmt.Errorf("%w: %w", errShortHeader, io.ErrUnexpectedEOF)
		}
		return 0, err
	}
	return sizeAt(cfg.Width, cfg.Height, format, decodeBytesPerPixel(data, format, cfg.ColorModel), opts), nil
}

// DecodeSizeOf is DecodeSize for a w x h image of the format ("jpeg",
// "png" or "gif") as the mock image server encodes them: a baseline
// three-component JPEG, a truecolour PNG, a paletted GIF. It bounds ahead
// of a run what the jobs of a scenario will reserve.
func DecodeSizeOf(w, h int, format string, opts Options) int64 {
	perPixel := int64(4)
	switch format {
	case "jpeg":
		perPixel = jpegBytesPerPixel(jpeg.Frame{Components: 3})
	case "gif":
		perPixel = 1
	}
	return sizeAt(w, h, format, perPixel, opts.withDefaults())
}

// sizeAt is the decode size of a w x h image of format costing perPixel
// bytes a pixel at full scale, at the scale opts's method decodes it at.
func sizeAt(width, height int, format string, perPixel int64, opts Options) int64 {
	w, h := int64(width), int64(height)
	if opts.Method == MethodFast && format == "jpeg" {
		tw, th := FitSize(width, height, opts.Width, opts.Height)
		s := int64(jpegScale(width, height, tw, th))
		w, h = (w+s-1)/s, (h+s-1)/s
	}
	return w * h * perPixel
}

// admission reserves a job's memory in a budget: before the fetch when
// the image's decode size is known from an earlier job, else as soon as
// the header of the image being fetched arrives.
type admission struct {
	budget   Budget
	opts     Options
	need     int64 // the decode size, once known
	reserved int64 // bytes held until release
	decided  bool  // the header was read (or cannot be): nothing more to reserve
}

// reserve reserves need bytes, waiting for them, and returns how long it
// waited; a need over the whole budget is refused at once.
func (a *admission) reserve(ctx context.Context, need int64) (time.Duration, error) {
	a.decided, a.need = true, need
	if need > a.budget.Size() {
		return 0, fmt.Errorf("%w: the image needs %s to decode, the budget is %s", ErrOverBudget, sizeText(need), sizeText(a.budget.Size()))
	}
	start := time.Now()
	if err := a.budget.Acquire(ctx, need); err != nil {
		return time.Since(start), err
	}
	a.reserved = need
	return time.Since(start), nil
}

// see looks at the bytes fetched so far and, once they hold the header,
// reserves its decode size, waiting for it; it returns how long it waited.
// An image whose header cannot be read reserves nothing: its decode fails.
// At the end of the body (final) it decides with what it has.
func (a *admission) see(ctx context.Context, data []byte, final bool) (waited time.Duration, err error) {
	if a.decided {
		return 0, nil
	}
	need, err := DecodeSize(data, a.opts)
	if err != nil {
		if errors.Is(err, errShortHeader) && !final {
			return 0, nil
		}
		a.decided = true
		return 0, nil
	}
	return a.reserve(ctx, need)
}

// release returns what the job reserved.
func (a *admission) release() {
	if a.reserved > 0 {
		a.budget.Release(a.reserved)
		a.reserved = 0
	}
}

// sizeText writes a size in bytes with a binary unit: "900KiB", "1.5MiB".
func sizeText(b int64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB"}
	v, i := float64(b), 0
	for v >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	if v == float64(int64(v)) {
		return fmt.Sprintf("%d%s", int64(v), units[i])
	}
	return fmt.Sprintf("%.1f%s", v, units[i])
}
