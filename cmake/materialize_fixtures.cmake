# Copies the test model folders into the build tree with every link resolved, so that the library
# and the tests read plain files:
#   cmake -DSRC=<repo root> -DDST=<build>/fixtures -DMODELS=tests/fixtures/tiny-sdxl,... -P materialize_fixtures.cmake
# WHY: the committed fixtures (byte-identical copies of the shared fixture set) contain git symlinks
# stored as small text files holding the link target (e.g. tiny-sdxl/tokenizer/vocab.json holds
# "../../tokenizer/vocab.json"), and some folders are real symlinks into them. The engine itself does
# not follow such placeholders (a placeholder given to it is just a bad file), so the build resolves
# them here once. Each model folder lands in DST/<folder name>; every other entry of tests/fixtures
# (goldens, tokenizer files, single-file checkpoints) is linked into DST unchanged.

cmake_minimum_required(VERSION 3.21)  # file(COPY_FILE), IN_LIST

# The file a placeholder names (followed again if that is one too), or `path` itself.
function(resolve_placeholder path out)
  get_filename_component(p "${path}" REALPATH)
  foreach(hop RANGE 8)
    file(SIZE "${p}" size)
    if(size EQUAL 0 OR size GREATER 1024)
      break()
    endif()
    file(READ "${p}" text)
    string(REGEX REPLACE "[\r\n]+$" "" text "${text}")
    if(NOT text MATCHES "^[-A-Za-z0-9_./ ]+$")  # one line naming a path, nothing else
      break()
    endif()
    get_filename_component(dir "${p}" DIRECTORY)
    if(IS_ABSOLUTE "${text}")
      set(target "${text}")
    else()
      set(target "${dir}/${text}")
    endif()
    if(NOT EXISTS "${target}" OR IS_DIRECTORY "${target}")
      break()
    endif()
    get_filename_component(p "${target}" REALPATH)
  endforeach()
  set(${out} "${p}" PARENT_SCOPE)
endfunction()

string(REPLACE "," ";" MODELS "${MODELS}")
file(MAKE_DIRECTORY "${DST}")
set(model_names "")
foreach(model IN LISTS MODELS)
  get_filename_component(name "${model}" NAME)
  list(APPEND model_names "${name}")
  file(REMOVE_RECURSE "${DST}/${name}")
  file(GLOB_RECURSE files FOLLOW_SYMLINKS RELATIVE "${SRC}/${model}" "${SRC}/${model}/*")
  foreach(rel IN LISTS files)
    resolve_placeholder("${SRC}/${model}/${rel}" real)
    get_filename_component(parent "${DST}/${name}/${rel}" DIRECTORY)
    file(MAKE_DIRECTORY "${parent}")
    file(COPY_FILE "${real}" "${DST}/${name}/${rel}")
  endforeach()
endforeach()

# The rest of tests/fixtures, linked as is (goldens are read, never loaded as models).
file(GLOB entries RELATIVE "${SRC}/tests/fixtures" "${SRC}/tests/fixtures/*")
foreach(entry IN LISTS entries)
  if(NOT entry IN_LIST model_names)
    file(REMOVE_RECURSE "${DST}/${entry}")
    file(CREATE_LINK "${SRC}/tests/fixtures/${entry}" "${DST}/${entry}" SYMBOLIC)
  endif()
endforeach()
