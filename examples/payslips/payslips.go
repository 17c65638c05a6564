package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"math/rand/v2"
	"strconv"
	"strings"
	"text/template"
	"unsafe"

	"github.com/scalebench/scalebench/bench"
)

// Options are the payslips workload's options, which a scenario sets under
// workload.options.
type Options struct {
	// Employees is how many employees the store holds.
	Employees int `yaml:"employees" json:"employees"`
	// Department is how many payslips one job (one report) renders.
	Department int `yaml:"department" json:"department"`
	// Months is how many months of records each payslip totals: the year
	// to date.
	Months int `yaml:"months" json:"months"`
	// Method is how the report is made: naive decodes each record into a
	// generic map and renders with a text/template parsed for every
	// report; fast decodes into a struct and appends the same text into a
	// buffer it reuses. Both render the same report, byte for byte.
	Method string `yaml:"method" json:"method"`
}

// Methods of making a report.
const (
	naive = "naive"
	fast  = "fast"
)

// Stages of a job, in the order Payslips names them.
const (
	stageLoad = iota
	stageCompute
	stageRender
)

// Payslips is the workload.
var Payslips = bench.Workload[Options]{
	Name:        "payslips",
	Description: "Each job renders the payslips of one department: it loads each employee's monthly records from an in-process store, works out their pay for the year to date and renders the payslip as text.",
	Stages: []bench.Stage{
		{Name: "load", Kind: bench.CPU, Doc: "Load decodes the employees' records from the store, in memory: CPU work, not I/O."},
		{Name: "compute", Kind: bench.CPU},
		{Name: "render", Kind: bench.CPU},
	},
	Defaults: Options{Employees: 2000, Department: 8, Months: 12, Method: fast},
	Check:    check,
	Setup:    setup,
	Method:   "method",
	Summary: func(o Options) string {
		return fmt.Sprintf("%d payslips a report, %d months each", o.Department, o.Months)
	},
}

// slipBytes is about what one rendered payslip takes, as text.
const slipBytes = 1 << 10

// JobMemory is what one report holds at its peak (bench.MemoryNeeder):
// its department's records, decoded, and its payslips rendered as text.
// With it a scenario may sweep memory: each replica's budget admits as
// many reports at once as it holds.
func (o Options) JobMemory() (int64, error) {
	perSlip := int64(o.Months)*int64(unsafe.Sizeof(Month{})) + int64(unsafe.Sizeof(Slip{})) + slipBytes
	return int64(o.Department) * perSlip, nil
}

var _ bench.MemoryNeeder = Options{}

// check refuses options no report can be made with.
func check(o *Options) error {
	var errs []error
	if o.Employees < 1 || o.Employees > 1_000_000 {
		errs = append(errs, bench.Errorf("employees", "must be 1..1000000"))
	}
	if o.Department < 1 || o.Department > o.Employees {
		errs = append(errs, bench.Errorf("department", "must be 1..employees (%d)", o.Employees))
	}
	if o.Months < 1 || o.Months > 12 {
		errs = append(errs, bench.Errorf("months", "must be 1..12"))
	}
	if o.Method != naive && o.Method != fast {
		errs = append(errs, bench.Errorf("method", "must be %s or %s", naive, fast))
	}
	return errors.Join(errs...)
}

// Month is one month of an employee's record, as the store keeps it.
type Month struct {
	Employee   int     `json:"employee"`
	Name       string  `json:"name"`
	Month      int     `json:"month"`
	Hours      float64 `json:"hours"`
	Rate       float64 `json:"rate"`
	Overtime   float64 `json:"overtime"`
	Bonus      float64 `json:"bonus"`
	Pension    float64 `json:"pension"`
	Department string  `json:"department"`
}

// Slip is one payslip: the month's pay and the year to date.
type Slip struct {
	Name, Department    string
	Month               int
	Gross, Tax, Pension float64
	Net                 float64
	YTDGross, YTDTax    float64
	YTDNet              float64
	Lines               []Month
}

// store holds each employee's months as JSON documents, as a document
// store would: loading a record is decoding it.
type store struct {
	records [][]byte // by employee
}

// newStore fills a store with employees' records of months months, the
// same for every process.
func newStore(employees, months int) *store {
	rng := rand.New(rand.NewPCG(1, 2))
	depts := []string{"sales", "support", "engineering", "finance", "operations"}
	s := &store{records: make([][]byte, employees)}
	for e := range employees {
		name := fmt.Sprintf("Employee %05d", e)
		dept := depts[e%len(depts)]
		rate := 18 + rng.Float64()*40
		ms := make([]Month, months)
		for m := range ms {
			ms[m] = Month{
				Employee: e, Name: name, Month: m + 1, Department: dept,
				Hours: 140 + rng.Float64()*30, Rate: rate, Overtime: rng.Float64() * 12,
				Bonus: float64(rng.IntN(4)) * 100, Pension: 0.05,
			}
		}
		s.records[e], _ = json.Marshal(ms) // plain data: cannot fail
	}
	return s
}

// slipText is a payslip as the report renders it.
const slipText = `{{range .}}PAYSLIP {{.Name}} ({{.Department}}), month {{.Month}}
{{range .Lines}}  month {{printf "%2d" .Month}}  {{printf "%6.1f" .Hours}} h at {{printf "%6.2f" .Rate}}  overtime {{printf "%5.1f" .Overtime}} h  bonus {{printf "%6.0f" .Bonus}}
{{end}}  gross {{printf "%10.2f" .Gross}}  tax {{printf "%10.2f" .Tax}}  pension {{printf "%8.2f" .Pension}}  net {{printf "%10.2f" .Net}}
  year to date: gross {{printf "%11.2f" .YTDGross}}  tax {{printf "%11.2f" .YTDTax}}  net {{printf "%11.2f" .YTDNet}}
{{end}}`

// instance is the workload in one worker process: the store, shared, and
// each worker's place in it and buffers.
type instance struct {
	opts    Options
	store   *store
	workers []workerState
}

type workerState struct {
	next  int // the first employee of the worker's next report
	out   bytes.Buffer
	slips []Slip
	sum   uint32 // checksum of the reports, so none is optimised away
}

// setup builds the store (untimed) and each worker's state.
func setup(_ context.Context, p *bench.Process, o Options) (bench.Instance, error) {
	in := &instance{opts: o, store: newStore(o.Employees, o.Months), workers: make([]workerState, p.Workers)}
	if _, err := template.New("slip").Parse(slipText); err != nil {
		return nil, err
	}
	for w := range in.workers {
		// Workers start at different departments.
		in.workers[w].next = (w * o.Department * 7) % o.Employees
	}
	return in, nil
}

// Job renders the payslips of the worker's next department.
func (in *instance) Job(ctx context.Context, c *bench.Call) error {
	ws := &in.workers[c.Worker]
	first := ws.next
	ws.next = (first + in.opts.Department) % in.opts.Employees
	slips := ws.slips[:0]
	for i := range in.opts.Department {
		if err := ctx.Err(); err != nil {
			return err
		}
		months, err := in.load((first + i) % in.opts.Employees)
		if err != nil {
			return err
		}
		slips = append(slips, Slip{Lines: months})
	}
	ws.slips = slips
	c.Mark(stageLoad)
	for i := range slips {
		pay(&slips[i])
	}
	c.Mark(stageCompute)
	if err := in.render(ws, slips); err != nil {
		return err
	}
	ws.sum = crc32.Update(ws.sum, crc32.IEEETable, ws.out.Bytes())
	c.Mark(stageRender)
	return nil
}

// load decodes one employee's months from the store: into a generic map
// and then the struct (naive), or straight into the struct (fast).
func (in *instance) load(employee int) ([]Month, error) {
	raw := in.store.records[employee]
	if in.opts.Method == fast {
		var ms []Month
		if err := json.Unmarshal(raw, &ms); err != nil {
			return nil, fmt.Errorf("load employee %d: %w", employee, err)
		}
		return ms, nil
	}
	var generic []map[string]any
	if err := json.Unmarshal(raw, &generic); err != nil {
		return nil, fmt.Errorf("load employee %d: %w", employee, err)
	}
	ms := make([]Month, len(generic))
	for i, g := range generic {
		ms[i] = Month{
			Employee: int(num(g["employee"])), Name: str(g["name"]), Month: int(num(g["month"])),
			Hours: num(g["hours"]), Rate: num(g["rate"]), Overtime: num(g["overtime"]),
			Bonus: num(g["bonus"]), Pension: num(g["pension"]), Department: str(g["department"]),
		}
	}
	return ms, nil
}

func num(v any) float64 { f, _ := v.(float64); return f }
func str(v any) string  { s, _ := v.(string); return s }

// pay works out the last month's pay and the year to date.
func pay(s *Slip) {
	for i, m := range s.Lines {
		gross := m.Hours*m.Rate + m.Overtime*m.Rate*1.5 + m.Bonus
		tax := incomeTax(gross)
		pension := gross * m.Pension
		net := gross - tax - pension
		s.YTDGross += gross
		s.YTDTax += tax
		s.YTDNet += net
		if i == len(s.Lines)-1 {
			s.Name, s.Department, s.Month = m.Name, m.Department, m.Month
			s.Gross, s.Tax, s.Pension, s.Net = gross, tax, pension, net
		}
	}
}

// incomeTax is a monthly tax on gross by progressive brackets.
func incomeTax(gross float64) float64 {
	brackets := []struct{ upTo, rate float64 }{{1000, 0}, {3000, 0.2}, {8000, 0.4}, {1e18, 0.45}}
	tax, low := 0.0, 0.0
	for _, b := range brackets {
		if gross > low {
			tax += (min(gross, b.upTo) - low) * b.rate
		}
		low = b.upTo
	}
	return tax
}

// render writes the report into the worker's buffer: appended field by
// field (fast), or by the template, parsed afresh, into a new builder
// (naive).
func (in *instance) render(ws *workerState, slips []Slip) error {
	ws.out.Reset()
	if in.opts.Method == fast {
		ws.out.Write(appendReport(ws.out.AvailableBuffer(), slips))
		return nil
	}
	tmpl, err := template.New("slip").Parse(slipText)
	if err != nil {
		return err
	}
	var b strings.Builder
	if err := tmpl.Execute(&b, slips); err != nil {
		return err
	}
	ws.out.WriteString(b.String())
	return nil
}

// appendReport appends slips to b as slipText renders them.
func appendReport(b []byte, slips []Slip) []byte {
	for i := range slips {
		s := &slips[i]
		b = append(b, "PAYSLIP "...)
		b = append(b, s.Name...)
		b = append(b, " ("...)
		b = append(b, s.Department...)
		b = append(b, "), month "...)
		b = strconv.AppendInt(b, int64(s.Month), 10)
		b = append(b, '\n')
		for _, m := range s.Lines {
			b = append(b, "  month "...)
			b = padInt(b, m.Month, 2)
			b = append(b, "  "...)
			b = padFloat(b, m.Hours, 6, 1)
			b = append(b, " h at "...)
			b = padFloat(b, m.Rate, 6, 2)
			b = append(b, "  overtime "...)
			b = padFloat(b, m.Overtime, 5, 1)
			b = append(b, " h  bonus "...)
			b = padFloat(b, m.Bonus, 6, 0)
			b = append(b, '\n')
		}
		b = append(b, "  gross "...)
		b = padFloat(b, s.Gross, 10, 2)
		b = append(b, "  tax "...)
		b = padFloat(b, s.Tax, 10, 2)
		b = append(b, "  pension "...)
		b = padFloat(b, s.Pension, 8, 2)
		b = append(b, "  net "...)
		b = padFloat(b, s.Net, 10, 2)
		b = append(b, "\n  year to date: gross "...)
		b = padFloat(b, s.YTDGross, 11, 2)
		b = append(b, "  tax "...)
		b = padFloat(b, s.YTDTax, 11, 2)
		b = append(b, "  net "...)
		b = padFloat(b, s.YTDNet, 11, 2)
		b = append(b, '\n')
	}
	return b
}

// padFloat appends x with prec decimals, right-aligned in width, as
// printf's %width.precf does.
func padFloat(b []byte, x float64, width, prec int) []byte {
	start := len(b)
	b = strconv.AppendFloat(b, x, 'f', prec, 64)
	return pad(b, start, width)
}

// padInt appends n right-aligned in width, as printf's %widthd does.
func padInt(b []byte, n, width int) []byte {
	start := len(b)
	b = strconv.AppendInt(b, int64(n), 10)
	return pad(b, start, width)
}

// pad right-aligns b[start:] in width by inserting spaces before it.
func pad(b []byte, start, width int) []byte {
	n := width - (len(b) - start)
	if n <= 0 {
		return b
	}
	b = append(b, make([]byte, n)...)
	copy(b[start+n:], b[start:len(b)-n])
	for i := range n {
		b[start+i] = ' '
	}
	return b
}

// Close does nothing: the store is garbage once the process ends.
func (in *instance) Close() error { return nil }
