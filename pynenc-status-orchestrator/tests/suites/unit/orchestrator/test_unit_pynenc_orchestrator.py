from pynenc_tests.unit.orchestrator.all_tests import *
