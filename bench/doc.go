// Package bench gives a Go program the whole scalebench harness for a
// workload of its own: worker processes at each cell's GOMAXPROCS,
// replicas on this machine or on agents, warm-up, interleaved repeats,
// latency histograms, the A/B gate of two builds, and the report with its
// speedup, efficiency, Amdahl and USL charts.
//
// # The loop
//
// Write the workload, register it, hand main to bench:
//
//	func main() {
//		bench.Register(payslips) // a bench.Workload[Options]
//		bench.Main()
//	}
//
// The program is then a scalebench with one more workload: every command
// works as it does for the scalebench executable (run, validate, report,
// compare, calibrate, export, fit, agent), and the harness starts the
// program itself, with the hidden argument "worker", as the worker
// processes that run the jobs. A scenario names the workload and sets its
// options:
//
//	name: payslips
//	workload:
//	  name: payslips
//	  options: {employees: 2000, template: detailed}
//	load: {duration: 2s, repeats: 3}
//	matrix: {gomaxprocs: [1, 2], workers: [2]}
//
// Run it, and gate a change in CI by measuring the build of the merge
// base and the build of the change in one run:
//
//	./mybench run payslips.yaml
//	./mybench run payslips.yaml --build base=./mybench-base --build head=self --fail-on 'throughput:-5%'
//
// # A workload
//
// A Workload says what one job does and what a worker process sets up to
// run jobs:
//
//   - Name is what scenarios write in workload.name.
//   - Options is a type of your own (O), decoded strictly from the
//     scenario's workload.options: an unknown key, a string where a number
//     belongs or a list where a mapping does is an error naming the file,
//     the line and what would be valid, as for every other section of a
//     scenario. Defaults holds what a scenario leaves out, and Check, if
//     set, refuses values out of bounds: return Errorf("employees", "must
//     be >= 1") and the error points at the line that sets employees.
//   - Setup runs once in each worker process, before the measurement and
//     untimed: load data, warm caches, open connections. It returns the
//     Instance whose Job the workers call, each worker one job at a time
//     and many workers at once; Close tears it down after the measurement.
//   - Stages name the parts of a job, each of a Kind (CPU, IO or Wait).
//     The job marks where each ends (Call.Mark, or Call.Add for times it
//     measured itself), and the report draws where a job's time goes and
//     tells an I/O-bound workload from a CPU-bound one.
//
// Latency counts from a job's intended start, throughput only the jobs
// that finish inside the measured window, and a job that returns an
// error is counted by kind (ErrorKind) and not in the latency.
//
// # What a scenario may sweep
//
// A matrix sweeps GOMAXPROCS (scale up), workers (concurrency), replicas
// (scale out) and, in an open loop, the offered rate. It also sweeps the
// workload's own options, each value decoded into the option's type and
// checked by Check:
//
//	matrix:
//	  gomaxprocs: [1, 2]
//	  options: {template: [plain, detailed]}
//
// A workload that names one string option as its Method
// (Workload.Method) may have it swept as the matrix's method dimension,
// "the same work done another way", as the built-in thumbnail workload
// sweeps naive and fast.
//
// # Services, agents and builds
//
// A workload whose jobs talk to a server of its own (the thumbnail
// workload's mock image server) declares it as a Service: the harness
// starts one for each distinct setting before the run, each agent its own
// for the replicas it runs, and the jobs get their inputs on it
// (Process.Inputs, Call.Input).
//
// The program is also its own agent (`mybench agent --nats URL`) and its
// own build in an A/B run. An executable asked to run a workload it does
// not have, an agent or a build named with --build, fails before anything
// is measured, naming the workloads it has.
//
// # Go benchmarks
//
// Benchmarks a project already has come in without a workload:
//
//	go test -run '^$' -bench . -cpu 1,2,4 -count 6 ./... | mybench import gobench - --out bench
//	mybench report bench
//
// Each -cpu value becomes a GOMAXPROCS cell and each -count a repeat, so
// report, fit and compare give speedup and efficiency charts, USL fits and
// the gate for them.
package bench
