/**
 * Helpers the adapter's packages share (name rules, safe echoing of user input, one-line API
 * failures); public only so the sibling packages can reach them, not API: they may change in any
 * release.
 */
package io.acrcredential.k8s.internal;
