package outdir

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestManifestRemovesOnlyWhatItWrote: of the files in a report's
// directories, only those the manifest lists with their present content
// are removed as stale; a file the user put there, or changed, is kept,
// and so is anything a manifest names outside the report's directories.
func TestManifestRemovesOnlyWhatItWrote(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "out")
	mkdir(t, filepath.Join(dir, "charts"))
	write := func(name, text string) string {
		t.Helper()
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	sum := func(text string) string { s := sha256.Sum256([]byte(text)); return hex.EncodeToString(s[:]) }
	stale := write("charts/old.svg", "<svg>old</svg>")
	changed := write("charts/edited.svg", "<svg>edited by hand</svg>")
	mine := write("charts/mine.svg", "<svg>mine</svg>")
	redrawn := write("charts/kept.svg", "<svg>v1</svg>")
	outside := filepath.Join(root, "precious.txt")
	if err := os.WriteFile(outside, []byte("precious"), 0o644); err != nil {
		t.Fatal(err)
	}
	nested := write("charts/sub/deep.svg", "deep")
	manifest := strings.Join([]string{
		sum("<svg>old</svg>") + "  charts/old.svg",
		sum("<svg>as written</svg>") + "  charts/edited.svg",
		sum("<svg>v1</svg>") + "  charts/kept.svg",
		sum("precious") + "  ../precious.txt",
		sum("precious") + "  charts/../../precious.txt",
		sum("deep") + "  charts/sub/deep.svg",
		sum("precious") + "  " + outside,
		"not a line of a manifest",
	}, "\n") + "\n"
	write(ManifestFile, manifest)

	m, err := ReadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Check("charts/old.svg", "charts/kept.svg", "charts/new.svg"); err != nil {
		t.Errorf("Check of files the manifest lists as written, and of a new one: %v", err)
	}
	for _, name := range []string{"charts/edited.svg", "charts/mine.svg"} {
		if err := m.Check(name); !errors.Is(err, ErrNotOurs) || !strings.Contains(err.Error(), filepath.FromSlash(name)) {
			t.Errorf("Check(%s) = %v, want ErrNotOurs naming it", name, err)
		}
	}
	if err := os.WriteFile(redrawn, []byte("<svg>v2</svg>"), 0o644); err != nil {
		t.Fatal(err)
	}
	m.Wrote("charts/kept.svg", []byte("<svg>v2</svg>"))
	if err := m.RemoveStale("charts"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the stale chart survived: %v", err)
	}
	for _, p := range []string{changed, mine, redrawn, outside, nested} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s was removed: %v", p, err)
		}
	}
	if err := m.Save(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	if want := sum("<svg>v2</svg>") + "  charts/kept.svg\n"; string(data) != want {
		t.Errorf("manifest after the report:\n%s\nwant\n%s", data, want)
	}
}

// TestManifestThingsInTheWay: a directory where the manifest goes, or a
// file where a report's directory goes, is named as in the way.
func TestManifestThingsInTheWay(t *testing.T) {
	dir := t.TempDir()
	mkdir(t, filepath.Join(dir, ManifestFile))
	if _, err := ReadManifest(dir); !errors.Is(err, ErrNotOurs) || !strings.Contains(err.Error(), "it is not a file") {
		t.Errorf("ReadManifest with a directory in its place: %v", err)
	}
	dir = t.TempDir()
	touch(t, filepath.Join(dir, "charts"))
	m, err := ReadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(dir, "charts") + ": not written by scalebench: a file where the report's directory charts goes"
	if err := m.Check("report.html", "charts/x.svg"); !errors.Is(err, ErrNotOurs) || !strings.Contains(err.Error(), want) {
		t.Errorf("Check with a file named charts: %v, want %q", err, want)
	}
}
