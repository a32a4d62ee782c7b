/**
 * The program's logging: which SLF4J provider a command gets, the plain and JSON layouts, and a
 * logger made only when a message is first written (so short helper calls never start Logback).
 */
package io.acrcredential.examples.logging;
