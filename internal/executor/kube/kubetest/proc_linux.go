package kubetest

import "syscall"

// sysProcAttr kills the child when the test process dies, so that a crashed
// test run leaves no etcd or kube-apiserver behind.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
