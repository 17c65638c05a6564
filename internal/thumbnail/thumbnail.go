// Package thumbnail implements the scalebench workload: fetch an image over
// HTTP, shrink it to fit a bounding box the way Pillow's Image.thumbnail does
// (aspect kept, never upscaled, Lanczos by default), encode the result as PNG
// and write it to a sink.
//
// Two methods produce the same output size with the same filter:
//
//   - "naive" is the lesson's baseline: full decode, a full-resolution
//     resample and a plain PNG encode, allocating afresh for every job.
//   - "fast" follows Pillow's own strategy: JPEGs are decoded at a reduced
//     DCT scale (1/2, 1/4 or 1/8), the decoded planes are box-reduced by an
//     integer factor while they stay at least twice the target size, and only
//     then is the filter applied; buffers are reused across jobs.
//
// The two methods' thumbnails agree to better than 35 dB PSNR on photo-like
// images (TestFastMatchesNaive); the fast one is several times faster per
// core on JPEG sources (BenchmarkProcess).
//
// Both read the image header first and refuse, before allocating for its
// pixels, an image over the decode budget (MaxPixels, MaxDecodeBytes), so
// that a small file claiming a huge size cannot take a worker's memory.
//
// One job's CPU work can be shared by several goroutines (Options.Split),
// so that it finishes sooner on idle cores while costing the same CPU. The
// naive method decodes a JPEG row band by row band on one goroutine, which
// does nothing else until the decode is done, while the others compute the
// filter's weights from the header's size and convert and filter the
// finished rows horizontally; then all of them filter the output rows
// vertically. At split 1 one goroutine does it all. The fast method shares its box
// reduction and its filter passes by bands of rows; its decode, most of its
// CPU, stays on one goroutine.
//
// The JPEG decoder with scaled IDCTs, derived from the standard library's,
// is package jpeg; the box reduction and the filter are package resample.
package thumbnail

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	stdjpeg "image/jpeg"
	"image/png"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/disintegration/imaging"
	"github.com/scalebench/scalebench/internal/thumbnail/jpeg"
	"github.com/scalebench/scalebench/internal/thumbnail/resample"
)

// Method names accepted by Options.Method.
const (
	MethodNaive = "naive"
	MethodFast  = "fast"
)

// Output formats accepted by Options.Format.
const (
	FormatPNG  = "png"
	FormatJPEG = "jpeg"
)

// Defaults of the Options fields left empty.
const (
	DefaultFilter = "lanczos"
	DefaultFormat = FormatPNG
	DefaultMethod = MethodFast
)

// MaxSize is the largest thumbnail width or height Options accepts.
const MaxSize = 4096

// jpegQuality is the quality of JPEG output (Pillow's default).
const jpegQuality = 75

// filters maps filter names to imaging filters, in the order Filters reports.
var filters = []struct {
	name   string
	filter imaging.ResampleFilter
}{
	{"lanczos", imaging.Lanczos},
	{"catmullrom", imaging.CatmullRom},
	{"linear", imaging.Linear},
	{"box", imaging.Box},
	{"nearest", imaging.NearestNeighbor},
}

// Options configures a Thumbnailer.
type Options struct {
	Width, Height int    // bounding box, e.g. 64x64; each 1..MaxSize
	Filter        string // one of Filters(); "" means DefaultFilter
	Format        string // one of Formats(); "" means DefaultFormat
	Method        string // one of Methods(); "" means DefaultMethod
	OutDir        string // "" discards output; else files named by OutputName are written here
	// Split is how many goroutines share one job's CPU work (1 to
	// MaxSplit; 0 means 1), as the package comment tells. The thumbnail
	// is the same, byte for byte, whatever the split.
	Split int `json:",omitempty"`
}

// MaxSplit bounds Options.Split.
const MaxSplit = 64

// Methods returns the valid values of Options.Method.
func Methods() []string { return []string{MethodNaive, MethodFast} }

// Filters returns the valid values of Options.Filter.
func Filters() []string {
	names := make([]string, len(filters))
	for i, f := range filters {
		names[i] = f.name
	}
	return names
}

// Formats returns the valid values of Options.Format.
func Formats() []string { return []string{FormatPNG, FormatJPEG} }

// Validate reports every invalid field of o, naming the field and its valid
// values.
func (o Options) Validate() error {
	var errs []error
	if o.Width <= 0 || o.Width > MaxSize {
		errs = append(errs, fmt.Errorf("thumbnail: invalid Options.Width %d: want 1..%d", o.Width, MaxSize))
	}
	if o.Height <= 0 || o.Height > MaxSize {
		errs = append(errs, fmt.Errorf("thumbnail: invalid Options.Height %d: want 1..%d", o.Height, MaxSize))
	}
	if o.Filter != "" && !slices.Contains(Filters(), o.Filter) {
		errs = append(errs, fmt.Errorf("thumbnail: invalid Options.Filter %q: want one of %s", o.Filter, strings.Join(Filters(), ", ")))
	}
	if o.Format != "" && !slices.Contains(Formats(), o.Format) {
		errs = append(errs, fmt.Errorf("thumbnail: invalid Options.Format %q: want one of %s", o.Format, strings.Join(Formats(), ", ")))
	}
	if o.Method != "" && !slices.Contains(Methods(), o.Method) {
		errs = append(errs, fmt.Errorf("thumbnail: invalid Options.Method %q: want one of %s", o.Method, strings.Join(Methods(), ", ")))
	}
	if o.Split < 0 || o.Split > MaxSplit {
		errs = append(errs, fmt.Errorf("thumbnail: invalid Options.Split %d: want 1..%d (0 means 1)", o.Split, MaxSplit))
	}
	return errors.Join(errs...)
}

// withDefaults returns o with empty fields replaced by their defaults.
func (o Options) withDefaults() Options {
	if o.Filter == "" {
		o.Filter = DefaultFilter
	}
	if o.Format == "" {
		o.Format = DefaultFormat
	}
	if o.Method == "" {
		o.Method = DefaultMethod
	}
	if o.Split == 0 {
		o.Split = 1
	}
	return o
}

// Timings are the durations of one job's stages.
type Timings struct {
	// Queue is the time the job waited for its memory (SetBudget): in
	// queue, not yet admitted. The other stages are its service time.
	Queue  time.Duration
	Fetch  time.Duration // HTTP request and reading the whole body, Queue left out
	Decode time.Duration // compressed bytes to pixels
	Resize time.Duration // pixels to the thumbnail (reduction and filter)
	Encode time.Duration // thumbnail to PNG/JPEG bytes in memory
	Write  time.Duration // encoded bytes to the sink (file or discard)
}

// Total returns the sum of all stages, the wait in queue included.
func (t Timings) Total() time.Duration {
	return t.Queue + t.Fetch + t.Decode + t.Resize + t.Encode + t.Write
}

// Thumbnailer runs thumbnail jobs for one goroutine. It keeps buffers that
// are reused from job to job, so it is not safe for concurrent use; create one
// per worker.
type Thumbnailer struct {
	opts   Options
	filter imaging.ResampleFilter
	client *http.Client
	fast   bool

	body bytes.Buffer // fetched bytes (fast)
	out  bytes.Buffer // encoded thumbnail (fast)
	enc  png.Encoder
	pool singleBufferPool
	jd   jpeg.Decoder       // scaled JPEG decoder with reusable planes
	red  resample.Reducer   // reusable box-reduction buffers
	rs   resample.Resampler // reusable filter buffers and weights

	budget Budget           // memory the job reserves its decode size from; nil: unlimited
	sizes  map[string]int64 // decode sizes of the images seen, by URL
}

// SetBudget makes every job of t reserve the memory its decode needs
// (DecodeSize, from the image's header) from b, and wait while b is full:
// before it fetches the image when t has seen that image's header before,
// as soon as the header arrives the first time. The job holds the memory
// until its thumbnail is written, so a budget bounds the jobs in service
// at once, their network time included. A job that needs more than all of
// b fails with ErrOverBudget. Share one budget among the Thumbnailers of a
// process; nil means unlimited.
func (t *Thumbnailer) SetBudget(b Budget) {
	t.budget = b
	t.sizes = map[string]int64{}
}

// New returns a Thumbnailer for opts. A nil client means a shared keep-alive
// client (see NewClient). If opts.OutDir is set it is created if missing.
func New(opts Options, client *http.Client) (*Thumbnailer, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	opts = opts.withDefaults()
	if opts.OutDir != "" {
		if err := os.MkdirAll(opts.OutDir, 0o755); err != nil {
			return nil, fmt.Errorf("thumbnail: create output dir: %w", err)
		}
	}
	if client == nil {
		client = sharedClient()
	}
	t := &Thumbnailer{
		opts:   opts,
		client: client,
		fast:   opts.Method == MethodFast,
	}
	for _, f := range filters {
		if f.name == opts.Filter {
			t.filter = f.filter
		}
	}
	t.enc = png.Encoder{CompressionLevel: pngLevel, BufferPool: &t.pool}
	t.red.Split, t.rs.Split = opts.Split, opts.Split
	return t, nil
}

// Options returns the options t was created with, defaults filled in.
func (t *Thumbnailer) Options() Options { return t.opts }

// Do fetches url and makes its thumbnail. A response status other than 2xx is
// an error naming the status.
func (t *Thumbnailer) Do(ctx context.Context, url string) (Timings, error) {
	var tm Timings
	start := time.Now()
	var adm *admission
	if t.budget != nil {
		adm = &admission{budget: t.budget, opts: t.opts}
		defer adm.release()
		if need, ok := t.sizes[url]; ok {
			waited, err := adm.reserve(ctx, need)
			tm.Queue += waited
			if err != nil {
				return tm, &StageError{Stage: StageFetch, Subject: url, Err: err}
			}
		}
	}
	data, err := t.fetch(ctx, url, adm, &tm.Queue)
	tm.Fetch = time.Since(start) - tm.Queue
	if err != nil {
		return tm, err
	}
	if adm != nil && adm.need > 0 && len(t.sizes) < maxKnownSizes {
		t.sizes[url] = adm.need
	}
	err = t.process(data, url, &tm)
	return tm, err
}

// Process makes the thumbnail of data, already fetched; name identifies the
// source (typically its URL) and gives the output file name via OutputName.
// The returned Fetch duration is zero.
func (t *Thumbnailer) Process(data []byte, name string) (Timings, error) {
	var tm Timings
	err := t.process(data, name, &tm)
	return tm, err
}

// maxKnownSizes bounds the decode sizes a Thumbnailer remembers.
const maxKnownSizes = 1 << 16

// maxBodyBytes bounds the size of a fetched image.
const maxBodyBytes = 256 << 20

// fetch reads the image at url. With an admission, it reserves the
// image's decode size as soon as the header has arrived, adding the wait
// to queue, and reads the rest of the body holding it.
func (t *Thumbnailer) fetch(ctx context.Context, url string, adm *admission, queue *time.Duration) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, &StageError{Stage: StageFetch, Subject: url, Err: err}
	}
	resp, err := t.client.Do(req)
	if err != nil {
		return nil, &StageError{Stage: StageFetch, Subject: url, Err: err}
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		// Drain a little so the connection can be reused.
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return nil, &StageError{Stage: StageFetch, Subject: url, Err: &StatusError{Code: resp.StatusCode, Status: resp.Status}}
	}
	body := io.LimitReader(resp.Body, maxBodyBytes+1)
	var data []byte
	switch {
	case adm != nil:
		data, err = t.readAdmitted(ctx, body, resp.ContentLength, adm, queue)
	case t.fast:
		t.body.Reset()
		if n := resp.ContentLength; n > 0 && n <= maxBodyBytes {
			t.body.Grow(int(n) + bytes.MinRead)
		}
		_, err = t.body.ReadFrom(body)
		data = t.body.Bytes()
	default:
		data, err = io.ReadAll(body)
	}
	if errors.Is(err, ErrOverBudget) {
		return nil, &StageError{Stage: StageFetch, Subject: url, Err: err}
	}
	if err != nil {
		return nil, &StageError{Stage: StageFetch, Subject: url, Err: fmt.Errorf("read body: %w", err)}
	}
	if len(data) > maxBodyBytes {
		return nil, &StageError{Stage: StageFetch, Subject: url, Err: fmt.Errorf("%w: body larger than %d bytes", ErrTooLarge, maxBodyBytes)}
	}
	return data, nil
}

// readAdmitted reads body as it arrives, into t's buffer for the fast
// method, showing adm each piece until it has reserved the decode size.
func (t *Thumbnailer) readAdmitted(ctx context.Context, body io.Reader, length int64, adm *admission, queue *time.Duration) ([]byte, error) {
	var buf *bytes.Buffer
	if t.fast {
		t.body.Reset()
		buf = &t.body
	} else {
		buf = new(bytes.Buffer)
	}
	if length > 0 && length <= maxBodyBytes {
		buf.Grow(int(length) + bytes.MinRead)
	}
	for {
		if buf.Available() < bytes.MinRead {
			buf.Grow(bytes.MinRead)
		}
		free := buf.AvailableBuffer()
		n, err := body.Read(free[:cap(free)])
		buf.Write(free[:n])
		final := err != nil
		if n > 0 || final {
			waited, aerr := adm.see(ctx, buf.Bytes(), final)
			*queue += waited
			if aerr != nil {
				return nil, aerr
			}
		}
		if err == io.EOF {
			return buf.Bytes(), nil
		}
		if err != nil {
			return nil, err
		}
	}
}

func (t *Thumbnailer) process(data []byte, name string, tm *Timings) error {
	var (
		thumb *image.NRGBA
		err   error
	)
	if t.fast {
		thumb, err = t.fitFast(data, name, tm)
	} else {
		thumb, err = t.fitNaive(data, name, tm)
	}
	if err != nil {
		return err
	}

	start := time.Now()
	var out []byte
	if t.fast {
		t.out.Reset()
		err = t.encode(&t.out, thumb)
		out = t.out.Bytes()
	} else {
		var buf bytes.Buffer
		err = t.encode(&buf, thumb)
		out = buf.Bytes()
	}
	tm.Encode = time.Since(start)
	if err != nil {
		return &StageError{Stage: StageEncode, Subject: name, Err: err}
	}

	start = time.Now()
	err = t.write(out, name)
	tm.Write = time.Since(start)
	return err
}

// fitNaive is the lesson's baseline: full decode, full-resolution resample
// (imaging.Resize's, byte for byte), after checking the header against the
// decode budget, with fresh buffers for every job. Its CPU work is shared
// by Options.Split goroutines: see resample.ImagingJob.
func (t *Thumbnailer) fitNaive(data []byte, name string, tm *Timings) (*image.NRGBA, error) {
	start := time.Now()
	cfg, _, err := checkBudget(data)
	if err != nil {
		return nil, &StageError{Stage: StageDecode, Subject: name, Err: err}
	}
	job := resample.NewImagingJob(&t.filter)
	if isJPEG(data) {
		// The decoded image has the frame header's size: the other
		// goroutines prepare the resize while the decoding begins.
		w, h := FitSize(cfg.Width, cfg.Height, t.opts.Width, t.opts.Height)
		job.Size(cfg.Width, cfg.Height, w, h)
	}
	var wg sync.WaitGroup
	for range t.opts.Split - 1 {
		wg.Go(job.Work)
	}
	started := false
	err = decodeNaive(data, func(img image.Image, n int) {
		if !started {
			b := img.Bounds()
			w, h := FitSize(b.Dx(), b.Dy(), t.opts.Width, t.opts.Height)
			job.Start(img, w, h)
			started = true
		}
		job.Rows(n)
	})
	tm.Decode = time.Since(start)
	if err != nil {
		job.Fail(err)
		wg.Wait()
		return nil, &StageError{Stage: StageDecode, Subject: name, Err: err}
	}
	start = time.Now()
	job.Finish()
	job.Work()
	wg.Wait()
	thumb, err := job.Result()
	tm.Resize = time.Since(start)
	if err != nil {
		return nil, &StageError{Stage: StageResize, Subject: name, Err: err}
	}
	return thumb, nil
}

// decodeNaive decodes data at full size, telling rows of the image and of
// its rows as they become final (see jpeg.Decoder.DecodeRows): a JPEG row
// band by row band, with the decoder whose full-scale output is image/jpeg's
// (and by image/jpeg itself for CMYK), anything else whole, by
// image.Decode.
func decodeNaive(data []byte, rows func(img image.Image, n int)) error {
	if isJPEG(data) {
		var d jpeg.Decoder // fresh buffers, as the naive method has
		_, _, _, err := d.DecodeRows(data, func(jpeg.Frame) (int, error) { return 1, nil }, rows)
		if !errors.Is(err, jpeg.ErrFallback) {
			return err
		}
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return err
	}
	rows(img, img.Bounds().Dy())
	return nil
}

func (t *Thumbnailer) encode(w io.Writer, img *image.NRGBA) error {
	if t.opts.Format == FormatJPEG {
		return stdjpeg.Encode(w, img, &stdjpeg.Options{Quality: jpegQuality})
	}
	if t.fast {
		return t.enc.Encode(w, img)
	}
	return png.Encode(w, img)
}

func (t *Thumbnailer) write(out []byte, name string) error {
	if t.opts.OutDir == "" {
		_, err := io.Discard.Write(out)
		return err
	}
	file := OutputName(name)
	if t.opts.Format == FormatJPEG {
		file = strings.TrimSuffix(file, ".png") + ".jpg"
	}
	if err := os.WriteFile(filepath.Join(t.opts.OutDir, file), out, 0o644); err != nil {
		return &StageError{Stage: StageWrite, Subject: name, Err: err}
	}
	return nil
}

// singleBufferPool is a png.EncoderBufferPool holding one buffer; it serves a
// single goroutine.
type singleBufferPool struct{ b *png.EncoderBuffer }

func (p *singleBufferPool) Get() *png.EncoderBuffer {
	b := p.b
	p.b = nil
	return b
}

func (p *singleBufferPool) Put(b *png.EncoderBuffer) { p.b = b }

// OutputName returns the thumbnail file name for an image URL: the
// second-last path part, the file name without its extension and "thumb.png",
// joined by underscores, as in the lesson:
// "http://h/640x480/ccc/aaa.jpg" gives "ccc_aaa_thumb.png". The query,
// fragment and trailing slashes are ignored; when the path has a single part
// the host takes the place of the second-last part; missing parts are
// omitted. The result never contains a path separator.
func OutputName(rawURL string) string {
	host, p := rawURL, ""
	if u, err := url.Parse(rawURL); err == nil {
		host, p = u.Host, u.Path
		if u.Opaque != "" {
			p = u.Opaque
		}
	} else {
		s := rawURL
		if i := strings.IndexAny(s, "?#"); i >= 0 {
			s = s[:i]
		}
		host = ""
		if i := strings.Index(s, "://"); i >= 0 {
			s = s[i+3:]
			host, p, _ = strings.Cut(s, "/")
		} else {
			p = s
		}
	}
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	var parts []string
	if host != "" {
		parts = append(parts, host)
	}
	for part := range strings.SplitSeq(p, "/") {
		if part != "" {
			parts = append(parts, part)
		}
	}

	var dir, file string
	switch n := len(parts); n {
	case 0:
	case 1:
		file = parts[0]
	default:
		dir, file = parts[n-2], parts[n-1]
	}
	if ext := path.Ext(file); ext != "" && ext != file {
		file = strings.TrimSuffix(file, ext)
	}

	var b strings.Builder
	for _, s := range []string{dir, file} {
		if s != "" {
			b.WriteString(sanitize(s))
			b.WriteByte('_')
		}
	}
	b.WriteString("thumb.png")
	return b.String()
}

// sanitize replaces bytes that are unsafe in a file name.
func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '/' || r == '\\' {
			return '_'
		}
		return r
	}, s)
}

// FitSize returns the size of the thumbnail of a srcW x srcH image fitted in
// a maxW x maxH box with the semantics of Pillow's Image.thumbnail: the
// aspect ratio is kept (rounded to the integer size closest in aspect), no
// side is smaller than 1 and the image is never enlarged; an image already
// within the box keeps its size.
func FitSize(srcW, srcH, maxW, maxH int) (w, h int) {
	if srcW <= 0 || srcH <= 0 {
		return 0, 0
	}
	if maxW <= 0 || maxH <= 0 {
		return 0, 0
	}
	if maxW >= srcW && maxH >= srcH {
		return srcW, srcH
	}
	x, y := maxW, maxH
	aspect := float64(srcW) / float64(srcH)
	if float64(x)/float64(y) >= aspect {
		fy := float64(y)
		x = roundAspect(fy*aspect, func(n float64) float64 { return abs(aspect - n/fy) })
	} else {
		fx := float64(x)
		y = roundAspect(fx/aspect, func(n float64) float64 {
			if n == 0 {
				return 0
			}
			return abs(aspect - fx/n)
		})
	}
	return x, y
}

// roundAspect is Pillow's round_aspect: floor or ceil of number, whichever
// has the smaller key (floor on ties), and at least 1.
func roundAspect(number float64, key func(float64) float64) int {
	lo, hi := math.Floor(number), math.Ceil(number)
	r := lo
	if key(hi) < key(lo) {
		r = hi
	}
	return max(int(r), 1)
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

// NewClient returns an HTTP client that keeps up to maxConns idle
// connections per host alive, for workers fetching from one image server.
func NewClient(maxConns int) *http.Client {
	if maxConns <= 0 {
		maxConns = 1
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = max(maxConns, 100)
	tr.MaxIdleConnsPerHost = maxConns
	tr.IdleConnTimeout = 90 * time.Second
	tr.DisableCompression = true // images are already compressed
	return &http.Client{Transport: tr}
}

// sharedClient is the client used when New is given none.
var sharedClient = sync.OnceValue(func() *http.Client { return NewClient(1024) })
