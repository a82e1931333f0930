package org.memlean.lab;

/** How big an experiment runs: QUICK for tests, notebooks and CI; DEFAULT for learners (seconds on 2 cores). */
public enum Size { QUICK, DEFAULT }
