/*
 * One service's release lifecycle, as statemachine/ rules it, for exhaustive model checking.
 *
 * NB bundles of one service, versions in index order (bundle 2 is newer than bundle 1). Five
 * actors run concurrently: publisher, governance, release_admin, observer, controller. Each
 * transition is one atomic step whose guard is the Apply rule (see README.md for the mapping).
 * Abstracted away: the number of services, metric values (an observation is a measurement round
 * judged successful, failed, inconclusive or error: statemachine/analysis.h), ledger time and
 * intervals, warm windows, keys and signatures (roles are the processes).
 *
 * Build variants:
 *   -DNO_PAUSE              the release_admin never pauses (for the liveness check)
 *   -DEACH_ROUND            the controller evaluates each measurement round before the next
 *   -DBROKEN_TWO_CANARIES   deploy forgets "one canary per service"   (must fail invariant 3)
 *   -DBROKEN_ROLLBACK       stable rollback takes any earlier stable,
 *                           even a rolled-back one                     (must fail invariant 5)
 *   -DBROKEN_APPROVE        deploy takes a bundle that is only packaged (must fail invariant 1)
 *   -DBROKEN_RAMP           a controller step is not capped at 100 %   (must fail invariant 2)
 *   -DBROKEN_PACKAGE        packaging other content replaces the digest (must fail invariant 4)
 *   -DBROKEN_UNMEASURED     the controller steps on any round, not only a successful latest one
 *                                                                      (must fail invariant 6)
 * check.sh names the assertion each one must violate (the monitor's inv<N>_... variables).
 */

#define NB 3
#define NONE 255
#define CANARY_PCT 5
#define STEP_PCT 20
/* The analysis limits (a manifest's analysis: section), small to keep the search exhaustive. */
#define FAILURE_LIMIT 0
#define ERROR_LIMIT 1
#define INCONCLUSIVE_LIMIT 1

mtype = { SUCCESSFUL, FAILED, INCONCLUSIVE, ERROR };  /* a measurement round's verdict */
mtype = { ABSENT, PACKAGED, APPROVED, REJECTED, CANARY, PAUSED, STABLE, SUPERSEDED, ROLLED_BACK, RETIRED };

mtype st[NB] = ABSENT;
bool approved[NB];        /* an Approve applied */
bool policy_ok[NB];       /* the manifest satisfies the governance policy (chosen at start) */
byte digest[NB];          /* 0: not packaged; else the manifest content packaged first */
byte first_digest[NB];    /* ghost: the digest at the first Package */
bool ever_final[NB];      /* ghost: the bundle once entered a final state */
byte w[NB];               /* traffic % on each bundle */
byte stable = NONE;
byte canary = NONE;
byte hist[8];             /* every bundle that became stable, in order */
byte nhist = 0;
bool observed = false;    /* canary observations pending since the last decision */
mtype latest = INCONCLUSIVE;  /* the verdict of the latest pending round */
byte nfailed = 0;         /* failed rounds pending (saturating just past the limit) */
byte nerrors = 0;         /* errors in a row at the end of the pending rounds */
byte ninconclusive = 0;   /* inconclusive rounds pending */
bool auto_paused = false; /* ghost: the controller paused the canary for a human */
bool stepped_unmeasured = false;  /* ghost: a step or promote whose latest round was not successful */

#define FINAL(b) (st[b] == ROLLED_BACK || st[b] == REJECTED || st[b] == RETIRED)
#define LIVE(b)  (st[b] == CANARY || st[b] == PAUSED || st[b] == STABLE)

/* Invariants of DESIGN.md, for one bundle b. */
#define INV1(b) (!(w[b] > 0 || LIVE(b)) || approved[b])                      /* signed before routed */
#define INV4(b) (digest[b] == first_digest[b])                                /* one manifest forever */
#define INV5(b) (!ever_final[b] || (FINAL(b) && w[b] == 0 && stable != b && canary != b))  /* final is final */
#define ISCANARY(b) (st[b] == CANARY || st[b] == PAUSED)
#define INV2 (stable == NONE || w[0] + w[1] + w[2] == 100)                   /* weights sum to 100 */
#define INV3 (ISCANARY(0) + ISCANARY(1) + ISCANARY(2) <= 1)                   /* one canary */
#define INV6 (!stepped_unmeasured)                                      /* never promoted unmeasured */
#define ALL_INV (INV1(0) && INV1(1) && INV1(2) && INV2 && INV3 && INV4(0) && INV4(1) && INV4(2) && \
                 INV5(0) && INV5(1) && INV5(2) && INV6)
#define CLEAR_ROUNDS observed = false; nfailed = 0; nerrors = 0; ninconclusive = 0; latest = INCONCLUSIVE

/* The bound is asserted, and the write guarded so that a search that continues past errors
 * (check.sh broken: pan -c0) never writes outside hist. */
#define PUSH_HISTORY(b) assert(nhist < 8); if :: nhist < 8 -> hist[nhist] = b; nhist++ :: else -> skip fi

/* 100 % back to the stable: Rollback of a canary. */
#define ROLLBACK_CANARY \
  st[canary] = ROLLED_BACK; ever_final[canary] = true; w[canary] = 0; w[stable] = 100; \
  canary = NONE; CLEAR_ROUNDS; auto_paused = false; \
  assert(approved[stable] && !FINAL(stable))

/* The canary becomes stable; the old stable is superseded (kept warm). */
#define PROMOTE \
  st[stable] = SUPERSEDED; w[stable] = 0; st[canary] = STABLE; w[canary] = 100; stable = canary; \
  PUSH_HISTORY(canary); canary = NONE; CLEAR_ROUNDS; auto_paused = false

active proctype publisher() {
  byte b, d;
  do
  :: atomic {
       select(b : 0 .. NB - 1); select(d : 1 .. 2);
       if
       :: digest[b] == 0 -> digest[b] = d; first_digest[b] = d; st[b] = PACKAGED
#ifdef BROKEN_PACKAGE
       :: digest[b] != 0 -> digest[b] = d
#else
       :: digest[b] != 0 -> skip  /* same content: idempotent; other content: refused */
#endif
       fi;
       b = 0; d = 0
     }
  od
}

active proctype governance() {
  byte b;
  do
  :: atomic {  /* Approve: packaged, and the policy holds */
       select(b : 0 .. NB - 1);
       if
       :: st[b] == PACKAGED && policy_ok[b] -> st[b] = APPROVED; approved[b] = true
       :: else -> skip
       fi;
       b = 0
     }
  :: atomic {  /* Reject: only what never carried traffic */
       select(b : 0 .. NB - 1);
       if
       :: st[b] == PACKAGED || st[b] == APPROVED -> st[b] = REJECTED; ever_final[b] = true
       :: else -> skip
       fi;
       b = 0
     }
  od
}

active proctype release_admin() {
  byte b, i, t;
  do
  :: atomic {  /* Deploy */
       select(b : 0 .. NB - 1);
       if
       :: st[b] == APPROVED && stable == NONE ->  /* first release: straight to 100 % */
            st[b] = STABLE; w[b] = 100; stable = b; PUSH_HISTORY(b)
#ifdef BROKEN_TWO_CANARIES
       :: st[b] == APPROVED && stable != NONE && b > stable ->
#elif defined(BROKEN_APPROVE)
       :: (st[b] == APPROVED || st[b] == PACKAGED) && stable != NONE && canary == NONE && b > stable ->
#else
       :: st[b] == APPROVED && stable != NONE && canary == NONE && b > stable ->
#endif
            st[b] = CANARY; w[b] = CANARY_PCT; w[stable] = 100 - CANARY_PCT; canary = b; CLEAR_ROUNDS
       :: else -> skip
       fi;
       b = 0
     }
#ifndef NO_PAUSE
  :: atomic { canary != NONE && st[canary] == CANARY -> st[canary] = PAUSED }
#endif
  :: atomic { canary != NONE && st[canary] == PAUSED -> st[canary] = CANARY; auto_paused = false }
  :: atomic { canary != NONE -> ROLLBACK_CANARY }   /* by hand, also when paused */
  :: atomic { canary != NONE -> PROMOTE }           /* promote --full by hand */
  :: atomic {  /* Rollback of the stable: to the previous good, from history */
       stable != NONE && canary == NONE;
       i = nhist; t = NONE;
       do
       :: i > 0 ->
            i--;
#ifdef BROKEN_ROLLBACK
            if :: hist[i] != stable -> t = hist[i]; break :: else -> skip fi
#else
            if :: hist[i] != stable && st[hist[i]] == SUPERSEDED -> t = hist[i]; break :: else -> skip fi
#endif
       :: i == 0 -> break
       od;
       if
       :: t != NONE ->
            st[stable] = ROLLED_BACK; ever_final[stable] = true; w[stable] = 0;
            st[t] = STABLE; w[t] = 100; stable = t; PUSH_HISTORY(t);
            assert(approved[stable])  /* after any rollback, all traffic is on an approved bundle */
       :: else -> skip  /* refused: no previous good */
       fi;
       i = 0; t = 0
     }
  :: atomic {  /* Retire: only what carries no traffic */
       select(b : 0 .. NB - 1);
       if
       :: st[b] == PACKAGED || st[b] == APPROVED || st[b] == SUPERSEDED -> st[b] = RETIRED; ever_final[b] = true
       :: else -> skip
       fi;
       b = 0
     }
  od
}

/* Each round is judged by its verdict; counts saturate one past their limit (the decision is
 * the same from there on). Paused canaries are not measured. With -DEACH_ROUND the controller
 * evaluates every round before the next is taken, as dvs serve does with its own measurements
 * (the liveness checks); without it, rounds may pile up between evaluations (pushed
 * observations, a controller that is late). */
active proctype observer() {
  do
  :: atomic {
#ifdef EACH_ROUND
       canary != NONE && st[canary] == CANARY && !observed ->
#else
       canary != NONE && st[canary] == CANARY ->
#endif
       if
       :: latest = SUCCESSFUL; nerrors = 0
       :: latest = FAILED; nerrors = 0; if :: nfailed <= FAILURE_LIMIT -> nfailed++ :: else -> skip fi
       :: latest = INCONCLUSIVE; nerrors = 0;
          if :: ninconclusive <= INCONCLUSIVE_LIMIT -> ninconclusive++ :: else -> skip fi
       :: latest = ERROR; if :: nerrors <= ERROR_LIMIT -> nerrors++ :: else -> skip fi
       fi;
       observed = true
     }
  od
}

/* DecideAnalysis on the pending rounds: too many failures or errors in a row roll back; too many
 * inconclusive rounds pause for a human; a successful latest round steps, or at 100 % promotes;
 * anything else holds. */
active proctype controller() {
  do
  :: atomic {
       canary != NONE && st[canary] == CANARY && observed ->
       if
       :: nfailed > FAILURE_LIMIT || nerrors > ERROR_LIMIT -> ROLLBACK_CANARY
       :: else ->
          if
          :: ninconclusive > INCONCLUSIVE_LIMIT ->
               st[canary] = PAUSED; auto_paused = true; CLEAR_ROUNDS
#ifdef BROKEN_UNMEASURED
          :: else ->
#else
          :: ninconclusive <= INCONCLUSIVE_LIMIT && latest == SUCCESSFUL ->
#endif
               stepped_unmeasured = stepped_unmeasured || latest != SUCCESSFUL;
               if
               :: w[canary] == 100 -> PROMOTE
               :: w[canary] < 100 ->
                    if
#ifdef BROKEN_RAMP
                    :: true -> w[canary] = w[canary] + STEP_PCT
#else
                    :: w[canary] + STEP_PCT >= 100 -> w[canary] = 100
                    :: else -> w[canary] = w[canary] + STEP_PCT
#endif
                    fi;
                    w[stable] = 100 - w[canary]; CLEAR_ROUNDS
               fi
#ifndef BROKEN_UNMEASURED
          :: else -> observed = false  /* hold: wait for the next round */
#endif
          fi
       fi
     }
  od
}

/* Checks every invariant between any two transitions, each in its own named assertion, so that a
 * counterexample names the invariant it breaks (check.sh greps pan's report for the name). */
active proctype monitor() {
  bool inv1_signed_before_routed = true, inv2_weights_sum_to_100 = true,
       inv3_one_canary_per_service = true, inv4_one_manifest_per_version = true,
       inv5_final_is_final = true, inv6_never_promoted_unmeasured = true;
  atomic {
    !ALL_INV ->
    inv1_signed_before_routed = INV1(0) && INV1(1) && INV1(2);
    inv2_weights_sum_to_100 = INV2;
    inv3_one_canary_per_service = INV3;
    inv4_one_manifest_per_version = INV4(0) && INV4(1) && INV4(2);
    inv5_final_is_final = INV5(0) && INV5(1) && INV5(2);
    inv6_never_promoted_unmeasured = INV6;
    assert(inv1_signed_before_routed);
    assert(inv2_weights_sum_to_100);
    assert(inv3_one_canary_per_service);
    assert(inv4_one_manifest_per_version);
    assert(inv5_final_is_final);
    assert(inv6_never_promoted_unmeasured)
  }
}

init {
  atomic {
    byte b;
    for (b : 0 .. NB - 1) {
      if :: policy_ok[b] = true :: policy_ok[b] = false fi
    }
  }
}

/* Under fair controller ticks, a canary always leaves the canary state, or is paused by the
 * controller for a human (its rounds stayed inconclusive). Check with -DNO_PAUSE and weak
 * fairness: a canary paused forever by hand is a person's choice, not a liveness bug. */
ltl canary_leaves { [] ((canary != NONE) -> <> (canary == NONE || auto_paused)) }
