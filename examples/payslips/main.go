// Command payslips is a scalebench of its own: the report generator of
// the article on writing applications that scale, registered as a
// workload through package bench. Each job renders the payslips of one
// department: it loads the employees' records from an in-process store,
// works out their pay and renders each payslip as text.
//
//	go build -o payslips ./examples/payslips
//	./payslips run examples/payslips/payslips.yaml
package main

import "github.com/scalebench/scalebench/bench"

func main() {
	bench.Register(Payslips)
	bench.Main()
}
