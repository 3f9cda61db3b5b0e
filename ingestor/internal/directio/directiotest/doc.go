// Package directiotest holds what tests of direct I/O and of the page cache
// share: skipping where the file system has neither (tmpfs), and reading
// which pages of a file the page cache holds. Only tests import it.
package directiotest
