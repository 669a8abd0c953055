//go:build !linux

package testbed

import "syscall"

// dieWithParent has no portable equivalent outside Linux: runnables are stopped by Cluster.Stop.
func dieWithParent() *syscall.SysProcAttr { return nil }
