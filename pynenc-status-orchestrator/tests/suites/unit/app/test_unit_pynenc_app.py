from pynenc_tests.unit.app.all_tests import *
