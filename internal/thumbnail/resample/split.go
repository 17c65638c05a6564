package resample

import (
	"fmt"
	"image"
	"sync"

	"github.com/disintegration/imaging"
)

// Band heights: source rows a goroutine takes at a time in the first pass,
// and output rows in the second. Bands are claimed one at a time, so the
// smaller they are the less a goroutine waits for another's last one
// before the second pass; a claim costs a lock, far less than a row.
const (
	srcBand = 4
	dstBand = 2
)

// ImagingJob resizes one image as imaging.Resize does, byte for byte (its
// conversion to NRGBA, its float64 arithmetic and its weights), with the
// work shared by every goroutine that calls Work: first the weights of
// each pass, then the rows of the source, converted and filtered
// horizontally as soon as a decoder has finished them, then the rows of
// the output, filtered vertically. One goroutine calling Work does it all
// alone, as imaging at GOMAXPROCS 1 would.
//
// A decoder tells the job of the image (Start), then of each band of rows
// it finished (Rows), or that it failed (Fail); it does none of the job's
// work unless it calls Work. A job serves one image.
type ImagingJob struct {
	filter *imaging.ResampleFilter

	mu   sync.Mutex
	cond sync.Cond
	src  image.Image
	err  error
	done bool // the decoder finished every row

	sized bool // the sizes below are known

	w, h, sw, sh int
	horiz, vert  bool // the passes imaging would make
	nearest      bool
	wx, wy       weights
	tmp, dst     *image.NRGBA

	// Preparation of each pass (its weights and its output image):
	// claimed by one goroutine, then ready for all.
	firstClaimed, firstReady   bool
	secondClaimed, secondReady bool

	ready        int // source rows final
	next, passed int // first pass: next row to claim, rows finished
	nextOut      int // second pass: next output row to claim
}

// NewImagingJob returns a job resizing with filter f.
func NewImagingJob(f *imaging.ResampleFilter) *ImagingJob {
	j := &ImagingJob{filter: f}
	j.cond.L = &j.mu
	return j
}

// Size tells the job, before its image exists, the image's size sw x sh
// and the output size w x h (each at least 1), so that the goroutines in
// Work can prepare the passes while the image is decoded. Calling it is
// optional: Start tells the job the same.
func (j *ImagingJob) Size(sw, sh, w, h int) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.size(sw, sh, w, h)
	j.cond.Broadcast()
}

// size sets the sizes of the job, whose lock is held, once.
func (j *ImagingJob) size(sw, sh, w, h int) {
	if j.sized {
		return
	}
	j.sized = true
	j.w, j.h, j.sw, j.sh = w, h, sw, sh
	j.nearest = j.filter.Support <= 0
	j.horiz = j.sw != w && !j.nearest
	j.vert = j.sh != h || j.nearest && j.sw != w
}

// Start gives the job its image, whose rows need not be final yet, and the
// output size w x h (each at least 1). Sizes other than those given to Size
// fail the job.
func (j *ImagingJob) Start(img image.Image, w, h int) {
	b := img.Bounds()
	j.mu.Lock()
	defer j.mu.Unlock()
	defer j.cond.Broadcast()
	if j.sized && (b.Dx() != j.sw || b.Dy() != j.sh || w != j.w || h != j.h) {
		if j.err == nil {
			j.err = fmt.Errorf("resample: image %dx%d to %dx%d started, %dx%d to %dx%d announced", b.Dx(), b.Dy(), w, h, j.sw, j.sh, j.w, j.h)
		}
		return
	}
	j.size(b.Dx(), b.Dy(), w, h)
	j.src = img
}

// prepareFirst computes the horizontal weights and makes the image the
// first pass fills.
func (j *ImagingJob) prepareFirst() {
	rowW := j.sw
	if j.horiz {
		j.wx.compute(j.w, j.sw, float64(j.sw), j.filter)
		rowW = j.w
	}
	j.tmp = image.NewNRGBA(image.Rect(0, 0, rowW, j.sh))
}

// prepareSecond computes the vertical weights and makes the output image
// of the second pass, if there is one.
func (j *ImagingJob) prepareSecond() {
	if !j.vert {
		return
	}
	if !j.nearest {
		j.wy.compute(j.h, j.sh, float64(j.sh), j.filter)
	}
	j.dst = image.NewNRGBA(image.Rect(0, 0, j.w, j.h))
}

// Rows tells the job that the image's first n rows are final.
func (j *ImagingJob) Rows(n int) {
	j.mu.Lock()
	j.ready = max(j.ready, n)
	j.cond.Broadcast()
	j.mu.Unlock()
}

// Finish tells the job that every row of the image is final.
func (j *ImagingJob) Finish() {
	j.mu.Lock()
	j.done = true
	j.ready = j.sh
	j.cond.Broadcast()
	j.mu.Unlock()
}

// Fail tells the job that the image will not be finished: Work returns.
func (j *ImagingJob) Fail(err error) {
	j.mu.Lock()
	if j.err == nil {
		j.err = err
	}
	j.cond.Broadcast()
	j.mu.Unlock()
}

// Result is the resized image, once every call to Work has returned, or
// the error that failed the job (Fail's, or Start's).
func (j *ImagingJob) Result() (*image.NRGBA, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	switch {
	case j.err != nil:
		return nil, j.err
	case j.vert:
		return j.dst, nil
	}
	return j.tmp, nil
}

// Work does bands of the job until none is left to claim, or the job
// failed. It may be called from any number of goroutines at once.
func (j *ImagingJob) Work() {
	var line []uint8 // this goroutine's converted source row
	j.mu.Lock()
	defer j.mu.Unlock()
	for {
		switch {
		case j.err != nil:
			return
		case !j.sized:
			j.cond.Wait()
		case !j.firstClaimed:
			j.firstClaimed = true
			j.mu.Unlock()
			j.prepareFirst()
			j.mu.Lock()
			j.firstReady = true
			j.cond.Broadcast()
		case !j.secondClaimed:
			j.secondClaimed = true
			j.mu.Unlock()
			j.prepareSecond()
			j.mu.Lock()
			j.secondReady = true
			j.cond.Broadcast()
		case !j.firstReady:
			j.cond.Wait() // another goroutine prepares the first pass
		case j.next < j.sh:
			end := min(j.next+srcBand, j.sh)
			if j.src == nil || j.ready < end {
				j.cond.Wait()
				continue
			}
			y0 := j.next
			j.next = end
			j.mu.Unlock()
			if line == nil {
				line = make([]uint8, 4*j.sw)
			}
			j.firstPass(line, y0, end)
			j.mu.Lock()
			j.passed += end - y0
			if j.passed == j.sh {
				j.cond.Broadcast()
			}
		case j.passed < j.sh || !j.secondReady:
			j.cond.Wait() // another goroutine finishes the first pass or prepares the second
		case j.vert && j.nextOut < j.h:
			y0 := j.nextOut
			end := min(y0+dstBand, j.h)
			j.nextOut = end
			j.mu.Unlock()
			j.secondPass(y0, end)
			j.mu.Lock()
		default:
			return
		}
	}
}

// firstPass converts source rows y0..y1 and filters them horizontally
// into tmp.
func (j *ImagingJob) firstPass(line []uint8, y0, y1 int) {
	for y := y0; y < y1; y++ {
		out := j.tmp.Pix[y*j.tmp.Stride : y*j.tmp.Stride+j.tmp.Stride]
		if !j.horiz {
			scanRow(out, j.src, y)
			continue
		}
		scanRow(line, j.src, y)
		horizontalRow(out, line, &j.wx)
	}
}

// secondPass fills output rows y0..y1 from tmp.
func (j *ImagingJob) secondPass(y0, y1 int) {
	for y := y0; y < y1; y++ {
		out := j.dst.Pix[y*j.dst.Stride : y*j.dst.Stride+j.dst.Stride]
		if j.nearest {
			nearestRow(out, j.tmp, y, j.w, j.h)
			continue
		}
		verticalRow(out, j.tmp, &j.wy, y)
	}
}

// nearestRow is output row y of imaging's nearest-neighbour resize of src
// to w x h.
func nearestRow(out []uint8, src *image.NRGBA, y, w, h int) {
	sw, sh := src.Rect.Dx(), src.Rect.Dy()
	dx, dy := float64(sw)/float64(w), float64(sh)/float64(h)
	sy := min(int((float64(y)+0.5)*dy), sh-1)
	row := src.Pix[sy*src.Stride:]
	for x := range w {
		sx := min(int((float64(x)+0.5)*dx), sw-1)
		copy(out[4*x:4*x+4], row[4*sx:4*sx+4])
	}
}

// scanRow converts row y of img to NRGBA in out, with imaging's formulas.
func scanRow(out []uint8, img image.Image, y int) {
	b := img.Bounds()
	w := b.Dx()
	switch m := img.(type) {
	case *image.NRGBA:
		copy(out, m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):][:4*w])
	case *image.YCbCr:
		ycbcrRow(out, m, b.Min.Y+y, b.Min.X, b.Max.X)
	case *image.Gray:
		row := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
		for x := range w {
			c := row[x]
			d := out[4*x : 4*x+4 : 4*x+4]
			d[0], d[1], d[2], d[3] = c, c, c, 0xff
		}
	case *image.RGBA:
		rgbaRow(out, m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):], w)
	default:
		// Any other type, by imaging's own scanner, one row at a time.
		c := imaging.Crop(img, image.Rect(b.Min.X, b.Min.Y+y, b.Max.X, b.Min.Y+y+1))
		copy(out, c.Pix)
	}
}
