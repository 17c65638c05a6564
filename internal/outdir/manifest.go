package outdir

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"github.com/scalebench/scalebench/internal/atomicfile"
)

// ManifestFile lists the files scalebench wrote into an output directory,
// each with the SHA-256 of what it wrote, in the format of sha256sum.
const ManifestFile = ".scalebench-files"

// ReportFiles are the files at the top of an output directory that every
// report writes.
var ReportFiles = []string{"report.html", "summary.md"}

// manifestDirs are the directories whose files a report writes, and
// removes again when a later report no longer draws them.
var manifestDirs = []string{"charts", "slides"}

// ErrNotOurs reports a file in the way that scalebench did not write, or
// that was changed since.
var ErrNotOurs = errors.New("not written by scalebench")

// A Manifest is what scalebench wrote into an output directory: it
// replaces or removes a file only if the manifest lists it with the
// content it still has, so a file a user put there, or changed, is never
// lost.
type Manifest struct {
	dir string
	// files maps a path inside dir, with slashes, to the SHA-256 (hex) of
	// what scalebench wrote there.
	files map[string]string
	// wrote holds the files written since ReadManifest.
	wrote map[string]bool
}

// ReadManifest reads dir's manifest; a directory without one has an empty
// manifest. Lines that do not name a file a report writes are ignored.
func ReadManifest(dir string) (*Manifest, error) {
	m := &Manifest{dir: dir, files: map[string]string{}, wrote: map[string]bool{}}
	p := filepath.Join(dir, ManifestFile)
	if fi, err := os.Lstat(p); err == nil && !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: %w: it is not a file, so it cannot list the files scalebench wrote: remove it, or choose another --out", p, ErrNotOurs)
	}
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return m, nil
	}
	if err != nil {
		return nil, fmt.Errorf("output directory %s: read %s: %w", dir, ManifestFile, err)
	}
	defer f.Close()
	sc := bufio.NewScanner(io.LimitReader(f, 16<<20))
	for sc.Scan() {
		sum, name, ok := strings.Cut(sc.Text(), "  ")
		if !ok || len(sum) != 2*sha256.Size || !managed(name) {
			continue
		}
		if _, err := hex.DecodeString(sum); err == nil {
			m.files[name] = sum
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("output directory %s: read %s: %w", dir, ManifestFile, err)
	}
	return m, nil
}

// managed reports whether name is a path a report writes: one of
// ReportFiles, or a file directly inside one of manifestDirs.
func managed(name string) bool {
	if slices.Contains(ReportFiles, name) {
		return true
	}
	d, base := path.Split(name)
	return slices.Contains(manifestDirs, strings.TrimSuffix(d, "/")) && base != "" && base != "." && base != ".." &&
		!strings.ContainsAny(base, `/\`) && path.Clean(name) == name
}

// Check returns an error wrapping ErrNotOurs, naming the files, when any
// of names (paths inside the directory, with slashes) is in the way: it
// exists, and the manifest does not list it with its present content.
func (m *Manifest) Check(names ...string) error {
	var theirs []string
	for _, name := range names {
		ok, err := m.ours(name)
		if err != nil {
			return err
		}
		if !ok {
			theirs = append(theirs, m.Path(name))
		}
	}
	if len(theirs) == 0 {
		return nil
	}
	what := theirs[0]
	if len(theirs) > 1 {
		what = fmt.Sprintf("%s and %d other files", theirs[0], len(theirs)-1)
	}
	return fmt.Errorf("%s: %w (or changed since), and a report would replace it: use --force to replace it, or choose another --out", what, ErrNotOurs)
}

// ours reports whether the file name may be replaced: it does not exist,
// or it holds what scalebench wrote there.
func (m *Manifest) ours(name string) (bool, error) {
	p := m.Path(name)
	fi, err := os.Lstat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return true, nil
	}
	if errors.Is(err, syscall.ENOTDIR) {
		parent := filepath.Dir(p)
		return false, fmt.Errorf("%s: %w: a file where the report's directory %s goes: move it, or choose another --out", parent, ErrNotOurs, filepath.Base(parent))
	}
	if err != nil {
		return false, fmt.Errorf("output directory %s: %w", m.dir, err)
	}
	want, listed := m.files[name]
	if !listed || !fi.Mode().IsRegular() {
		return false, nil
	}
	got, err := fileSum(p)
	if err != nil {
		return false, fmt.Errorf("output directory %s: %w", m.dir, err)
	}
	return got == want, nil
}

// fileSum is the SHA-256 of the file at p, in hex.
func fileSum(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Path is the file name, a path inside the directory with slashes, as a
// path to open.
func (m *Manifest) Path(name string) string { return filepath.Join(m.dir, filepath.FromSlash(name)) }

// Wrote records that name (a path inside the directory, with slashes) now
// holds data, written by scalebench.
func (m *Manifest) Wrote(name string, data []byte) {
	sum := sha256.Sum256(data)
	m.WroteSum(name, hex.EncodeToString(sum[:]))
}

// WroteSum is Wrote given the SHA-256 of the data, in hex.
func (m *Manifest) WroteSum(name, sum string) {
	m.files[name] = sum
	m.wrote[name] = true
}

// RemoveStale removes the files inside directory sub (one of "charts",
// "slides") that an earlier report wrote, that hold what it wrote, and
// that nothing written since ReadManifest replaced: charts a new report no
// longer draws. Any other file there is left alone.
func (m *Manifest) RemoveStale(sub string) error {
	var errs []error
	for name := range m.files {
		if m.wrote[name] || !strings.HasPrefix(name, sub+"/") {
			continue
		}
		ok, err := m.ours(name)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if ok {
			if err := os.Remove(m.Path(name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, fmt.Errorf("remove an earlier report's file: %w", err))
				continue
			}
		}
		delete(m.files, name) // gone, or no longer ours
	}
	return errors.Join(errs...)
}

// Save writes the manifest into the directory.
func (m *Manifest) Save() error {
	names := make([]string, 0, len(m.files))
	for name := range m.files {
		names = append(names, name)
	}
	slices.Sort(names)
	var b strings.Builder
	for _, name := range names {
		fmt.Fprintf(&b, "%s  %s\n", m.files[name], name)
	}
	if err := atomicfile.Write(filepath.Join(m.dir, ManifestFile), []byte(b.String()), 0o644); err != nil {
		return fmt.Errorf("output directory %s: %w", m.dir, err)
	}
	return nil
}
