package report

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/scalebench/scalebench/internal/analysis"
	"github.com/scalebench/scalebench/internal/format"
)

// Markdown writes a short summary for CI job summaries and pull-request
// comments: title, findings, a ratio table of the cells and the warnings.
// It has no charts.
func Markdown(w io.Writer, a *analysis.Analysis) error {
	if a == nil || a.Run == nil {
		return fmt.Errorf("markdown: no run to report")
	}
	run := a.Run
	b := bufio.NewWriter(w)
	title := run.Scenario.Name
	if title == "" {
		title = "run"
	}
	fmt.Fprintf(b, "# scalebench: %s\n\n", mdText(title))
	if d := run.Scenario.Description; d != "" {
		fmt.Fprintf(b, "%s\n\n", mdText(d))
	}
	if run.Interrupted {
		fmt.Fprintf(b, "> **Interrupted: partial results.** The run stopped before its plan finished.\n\n")
	}
	e := run.Environment
	var env []string
	for _, s := range []string{string(run.Scenario.Model), e.GoVersion, strings.Trim(e.OS+"/"+e.Arch, "/"), e.CPUModel} {
		if s != "" {
			env = append(env, s)
		}
	}
	if e.LogicalCPUs > 0 {
		env = append(env, fmt.Sprintf("%d CPUs", e.LogicalCPUs))
	}
	if e.CPUQuota > 0 {
		env = append(env, "quota "+format.Number(e.CPUQuota)+" cores")
	}
	if e.Commit != "" {
		env = append(env, "commit "+e.Commit)
	}
	if len(e.Agents) > 0 {
		env = append(env, "replicas on agents "+agentsText(e.Agents))
	}
	if len(env) > 0 {
		fmt.Fprintf(b, "%s\n\n", mdText(strings.Join(env, " · ")))
	}

	if lines := lessonText(a); len(lines) > 0 || len(a.Classes) > 0 {
		fmt.Fprintf(b, "## The lesson\n\n")
		for _, l := range lines {
			fmt.Fprintf(b, "- %s\n", mdText(l))
		}
		if len(lines) > 0 {
			fmt.Fprintln(b)
		}
		if rows := classRows(a); len(rows) > 0 {
			fmt.Fprintf(b, "| series | concurrency | latency | performance | scalability |\n|---|---|---|---|---|\n")
			for _, r := range rows {
				fmt.Fprintf(b, "| %s | %s | %s | %s | %s |\n", mdCell(r.Series), r.Concurrency, r.Latency, r.Performance, r.Scalability)
			}
			fmt.Fprintln(b)
		}
	}

	if len(a.Findings) > 0 {
		fmt.Fprintf(b, "## Findings\n\n")
		for _, f := range a.Findings {
			fmt.Fprintf(b, "- %s\n", mdText(f))
		}
		fmt.Fprintln(b)
	}

	if len(a.Cells) > 0 {
		mk := a.Batch()
		// Time in queue and service time, where a memory budget made jobs wait.
		queue := false
		for _, c := range a.Cells {
			queue = queue || c.Params.Memory > 0 || c.Stages.Queue() > 0
		}
		head, align := []string{"params", "throughput"}, []string{"---", "--:"}
		if mk {
			head, align = append(head, "makespan"), append(align, "--:")
		}
		head, align = append(head, "p50", "p99"), append(align, "--:", "--:")
		if queue {
			head, align = append(head, "in queue (mean)", "service (mean)"), append(align, "--:", "--:")
		}
		head, align = append(head, "Scalability", "Performance"), append(align, "---", "---")
		fmt.Fprintf(b, "## Cells\n\n| %s |\n|%s|\n", strings.Join(head, " | "), strings.Join(align, "|"))
		for i, c := range a.Cells {
			params := paramsText(c.Params)
			if i == a.Baseline {
				params += " **(baseline)**"
			}
			tput := cellRate(c)
			if ci := fmtInterval(c.ThroughputCI, format.Number); ci != "" {
				tput += " " + ci
			}
			r := cellRatio(a, i)
			cols := []string{params, tput}
			if mk {
				span := cellDur(c, c.Makespan)
				if ci := fmtDurInterval(c.MakespanCI); ci != "" && c.Makespan > 0 {
					span += " " + ci
				}
				cols = append(cols, span)
			}
			cols = append(cols, cellDur(c, c.Latency.P50), cellDur(c, c.Latency.P99))
			if queue {
				cols = append(cols, cellDur(c, c.Stages.Queue()), cellDur(c, c.ServiceTime()))
			}
			cols = append(cols, ratioText(r.Throughput), ratioText(r.Latency))
			for j := range cols {
				cols[j] = mdCell(cols[j])
			}
			fmt.Fprintf(b, "| %s |\n", strings.Join(cols, " | "))
		}
		fmt.Fprintln(b)
	}

	runW, cellW := warnings(a, nil)
	if len(runW)+len(cellW) > 0 {
		fmt.Fprintf(b, "## Warnings\n\n")
		for _, w := range runW {
			fmt.Fprintf(b, "- **%s**: %s\n", mdText(w.Kind), mdText(w.Message))
		}
		for _, g := range cellW {
			if len(g.Items) == 1 {
				fmt.Fprintf(b, "- **%s** (%s): %s\n", mdText(g.Kind), mdText(g.Items[0].cellText()), mdText(g.Items[0].Message))
				continue
			}
			fmt.Fprintf(b, "- **%s**, %d cells:\n", mdText(g.Kind), g.Cells)
			for _, it := range g.Items {
				fmt.Fprintf(b, "  - %s: %s\n", mdText(it.cellText()), mdText(it.Message))
			}
		}
		fmt.Fprintln(b)
	}
	if err := b.Flush(); err != nil {
		return fmt.Errorf("markdown: write: %w", err)
	}
	return nil
}

// mdText escapes the characters that would turn plain text into Markdown
// or HTML markup, and folds newlines.
var mdEscaper = strings.NewReplacer(
	`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "<", "&lt;", ">", "&gt;",
	"\r\n", " ", "\n", " ",
)

func mdText(s string) string { return mdEscaper.Replace(s) }

// mdCell is mdText for a table cell, where | would end the cell. Markup
// the caller added (** around "baseline") is kept.
func mdCell(s string) string {
	const bold = "**(baseline)**"
	pre, found := strings.CutSuffix(s, " "+bold)
	out := strings.ReplaceAll(mdText(pre), "|", `\|`)
	if found {
		out += " " + bold
	}
	return out
}
