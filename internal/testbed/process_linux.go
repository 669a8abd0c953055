package testbed

import "syscall"

// dieWithParent kills a runnable when the test process dies without stopping it (a test binary
// killed by its timeout), so that no controller manager outlives the run on a shared machine.
func dieWithParent() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
