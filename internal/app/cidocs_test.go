package app

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
)

// codeBlocks returns the bodies of the fenced code blocks of language lang
// in the Markdown text md.
func codeBlocks(md, lang string) []string {
	re := regexp.MustCompile("(?ms)^```" + lang + "\n(.*?)^```")
	var out []string
	for _, m := range re.FindAllStringSubmatch(md, -1) {
		out = append(out, m[1])
	}
	return out
}

func readDoc(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile("../../" + path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// ciCommands is the command block of docs/ci.md's "Use in CI", which the
// README links to for running the gate in CI.
func ciCommands(t *testing.T) []string {
	t.Helper()
	doc := readDoc(t, "docs/ci.md")
	_, section, ok := strings.Cut(doc, "\n## Use in CI\n")
	if !ok {
		t.Fatal(`docs/ci.md has no "Use in CI" section`)
	}
	section, _, _ = strings.Cut(section, "\n## ")
	blocks := codeBlocks(section, "sh")
	if len(blocks) == 0 {
		t.Fatal(`docs/ci.md's "Use in CI" has no sh block`)
	}
	var cmds []string
	for _, l := range strings.Split(blocks[0], "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			cmds = append(cmds, l)
		}
	}
	return cmds
}

// TestCIDocsRunTheCICommands: the GitHub Actions workflow and the GitLab
// job in docs/ci.md are valid YAML and run the commands of its "Use in CI"
// exactly, with the gate's exit code reaching the runner unchanged.
func TestCIDocsRunTheCICommands(t *testing.T) {
	want := ciCommands(t)
	blocks := codeBlocks(readDoc(t, "docs/ci.md"), "yaml")
	if len(blocks) != 3 {
		t.Fatalf("docs/ci.md has %d yaml blocks, want 3 (GitHub Actions, GitLab CI, the history on main)", len(blocks))
	}
	var gh struct {
		Name        string            `yaml:"name"`
		On          map[string]any    `yaml:"on"`
		Permissions map[string]string `yaml:"permissions"`
		Jobs        map[string]struct {
			RunsOn         string `yaml:"runs-on"`
			TimeoutMinutes int    `yaml:"timeout-minutes"`
			Steps          []struct {
				Name string            `yaml:"name"`
				Uses string            `yaml:"uses"`
				Run  string            `yaml:"run"`
				If   string            `yaml:"if"`
				With map[string]any    `yaml:"with"`
				Env  map[string]string `yaml:"env"`
			} `yaml:"steps"`
		} `yaml:"jobs"`
	}
	if err := yaml.UnmarshalWithOptions([]byte(blocks[0]), &gh, yaml.Strict()); err != nil {
		t.Fatalf("GitHub Actions workflow: %v", err)
	}
	job, ok := gh.Jobs["ab"]
	if !ok || job.RunsOn == "" || len(gh.On) == 0 {
		t.Fatalf("workflow: want a job ab with runs-on and triggers, got %+v", gh)
	}
	var ghLines []string
	var summary, artifact bool
	for _, s := range job.Steps {
		for _, l := range strings.Split(s.Run, "\n") {
			if l = strings.TrimSpace(l); l != "" {
				ghLines = append(ghLines, l)
			}
		}
		summary = summary || s.If == "always()" && strings.Contains(s.Run, "summary.md") && strings.Contains(s.Run, "$GITHUB_STEP_SUMMARY")
		artifact = artifact || s.If == "always()" && strings.HasPrefix(s.Uses, "actions/upload-artifact@") && s.With["path"] == "ab/"
	}
	if !summary || !artifact {
		t.Errorf("workflow: summary.md to the job summary %v, report uploaded %v; want both, always", summary, artifact)
	}
	var gl map[string]struct {
		Image     string            `yaml:"image"`
		Variables map[string]string `yaml:"variables"`
		Script    []string          `yaml:"script"`
		Artifacts struct {
			When     string   `yaml:"when"`
			ExpireIn string   `yaml:"expire_in"`
			Paths    []string `yaml:"paths"`
		} `yaml:"artifacts"`
	}
	if err := yaml.UnmarshalWithOptions([]byte(blocks[1]), &gl, yaml.Strict()); err != nil {
		t.Fatalf("GitLab CI job: %v", err)
	}
	glJob, ok := gl["perf-gate"]
	if !ok || glJob.Artifacts.When != "always" || !slices.Contains(glJob.Artifacts.Paths, "ab/") {
		t.Errorf("GitLab: want a job perf-gate keeping ab/ always, got %+v", gl)
	}
	for name, lines := range map[string][]string{"GitHub Actions": ghLines, "GitLab CI": glJob.Script} {
		for _, c := range want {
			if !slices.Contains(lines, c) {
				t.Errorf("%s does not run the command of \"Use in CI\"\n  %s\nit runs:\n  %s", name, c, strings.Join(lines, "\n  "))
			}
		}
		for _, l := range lines {
			if strings.Contains(l, "scalebench-head run") && (strings.Contains(l, "|") || strings.HasPrefix(l, "make")) {
				t.Errorf("%s: the gate's exit code does not reach the runner unchanged: %s", name, l)
			}
		}
	}
}

// TestCICommandUsesRealFlags: every flag in docs/ci.md's A/B command is a
// flag of scalebench run.
func TestCICommandUsesRealFlags(t *testing.T) {
	flags := map[string]bool{}
	for _, f := range New(nil, nil, nil).Command("run").Flags {
		for _, n := range f.Names() {
			flags[n] = true
		}
	}
	found := false
	for _, c := range ciCommands(t) {
		if !strings.Contains(c, " run scenarios/ci.yaml") {
			continue
		}
		found = true
		for _, tok := range strings.Fields(c) {
			if name, ok := strings.CutPrefix(tok, "--"); ok && !flags[strings.SplitN(name, "=", 2)[0]] {
				t.Errorf("docs/ci.md's CI command uses --%s, which scalebench run does not have", name)
			}
		}
		if _, err := os.Stat("../../scenarios/ci.yaml"); err != nil {
			t.Error(err)
		}
	}
	if !found {
		t.Error("docs/ci.md's CI commands do not run scenarios/ci.yaml")
	}
}

// historyCommands is the command block of docs/ci.md's "Keep a history
// on main".
func historyCommands(t *testing.T) []string {
	t.Helper()
	_, section, ok := strings.Cut(readDoc(t, "docs/ci.md"), "\n## Keep a history on main\n")
	if !ok {
		t.Fatal(`docs/ci.md has no "Keep a history on main" section`)
	}
	blocks := codeBlocks(section, "sh")
	if len(blocks) == 0 {
		t.Fatal(`docs/ci.md's "Keep a history on main" has no sh block`)
	}
	var cmds []string
	for _, l := range strings.Split(blocks[0], "\n") {
		if l = strings.TrimSpace(l); l != "" {
			cmds = append(cmds, l)
		}
	}
	return cmds
}

// TestCIDocsHistoryWorkflow: docs/ci.md's history workflow is valid YAML,
// runs the commands its section shows, keeps the store between jobs, one
// job at a time, and keeps the trend page; every scalebench command and
// flag in them exists.
func TestCIDocsHistoryWorkflow(t *testing.T) {
	want := historyCommands(t)
	blocks := codeBlocks(readDoc(t, "docs/ci.md"), "yaml")
	if len(blocks) < 3 {
		t.Fatalf("docs/ci.md has %d yaml blocks, want the history workflow third", len(blocks))
	}
	var wf struct {
		Name        string            `yaml:"name"`
		On          map[string]any    `yaml:"on"`
		Permissions map[string]string `yaml:"permissions"`
		Concurrency struct {
			Group            string `yaml:"group"`
			CancelInProgress bool   `yaml:"cancel-in-progress"`
		} `yaml:"concurrency"`
		Jobs map[string]struct {
			RunsOn         string            `yaml:"runs-on"`
			TimeoutMinutes int               `yaml:"timeout-minutes"`
			Env            map[string]string `yaml:"env"`
			Steps          []struct {
				Name string         `yaml:"name"`
				Uses string         `yaml:"uses"`
				Run  string         `yaml:"run"`
				If   string         `yaml:"if"`
				With map[string]any `yaml:"with"`
			} `yaml:"steps"`
		} `yaml:"jobs"`
	}
	if err := yaml.UnmarshalWithOptions([]byte(blocks[2]), &wf, yaml.Strict()); err != nil {
		t.Fatalf("history workflow: %v", err)
	}
	job, ok := wf.Jobs["history"]
	if !ok || wf.Concurrency.Group == "" || wf.Concurrency.CancelInProgress {
		t.Fatalf("history workflow: want a job history in a concurrency group that waits, got %+v", wf)
	}
	var lines []string
	var restore, save, page bool
	for _, s := range job.Steps {
		for _, l := range strings.Split(s.Run, "\n") {
			if l = strings.TrimSpace(l); l != "" {
				lines = append(lines, l)
			}
		}
		restore = restore || strings.HasPrefix(s.Uses, "actions/cache/restore@") && s.With["path"] == job.Env["SCALEBENCH_HISTORY"]
		save = save || strings.HasPrefix(s.Uses, "actions/cache/save@") && s.If == "always()" && s.With["path"] == job.Env["SCALEBENCH_HISTORY"]
		page = page || strings.HasPrefix(s.Uses, "actions/upload-artifact@") && s.If == "always()" && s.With["path"] == "history-report/"
	}
	if !restore || !save || !page {
		t.Errorf("history workflow: cache restored %v, saved always %v, page kept always %v; want all", restore, save, page)
	}
	for _, c := range want {
		if !slices.Contains(lines, c) {
			t.Errorf("the history workflow does not run\n  %s\nit runs:\n  %s", c, strings.Join(lines, "\n  "))
		}
	}
	app := New(nil, nil, nil)
	for _, c := range want {
		f := strings.Fields(c)
		if len(f) < 2 || f[0] != "./scalebench" {
			continue
		}
		cmd := app.Command(f[1])
		rest := f[2:]
		if cmd != nil && len(cmd.Subcommands) > 0 && len(rest) > 0 {
			for _, sub := range cmd.Subcommands {
				if sub.HasName(rest[0]) {
					cmd, rest = sub, rest[1:]
				}
			}
		}
		if cmd == nil {
			t.Errorf("%s: no such command", c)
			continue
		}
		for _, tok := range rest {
			name, ok := strings.CutPrefix(tok, "--")
			if !ok {
				continue
			}
			known := false
			for _, fl := range cmd.Flags {
				known = known || slices.Contains(fl.Names(), name)
			}
			if !known {
				t.Errorf("%s: %s has no flag --%s", c, cmd.FullName(), name)
			}
		}
	}
}
