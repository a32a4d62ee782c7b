/**
 * Small helpers several parts of the program share: JSON reading and writing, SHA-256, bounded
 * excerpts of untrusted text, and token failures as one line.
 */
package io.acrcredential.examples.util;
