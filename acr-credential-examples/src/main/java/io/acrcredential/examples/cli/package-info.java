/**
 * What every command of the program stands on: the {@code Command} contract, option parsing, the
 * {@code Invocation} (environment, streams, clock), one-line failures, the credential and cluster
 * options the commands share, and the build's version.
 */
package io.acrcredential.examples.cli;
