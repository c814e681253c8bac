from servicevm_api.bootstrap import DEFINITION
from shared.runtime import serve

serve(DEFINITION)
