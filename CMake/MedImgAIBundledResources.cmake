#-----------------------------------------------------------------------------
# Ship the bundled models and the sample case next to the Python packages.
#
# MedImgAILib finds them in <qt-scripted-modules>/Resources/{Models,SampleData}
# (MedImgAILib/models/catalog.py resources_folder(), MedImgAILib/sample_case.py):
# the folder beside its package, which in this repository is the root
# Resources/ folder. That is also where slicerMacroBuildScriptedModule puts the
# modules' own icons and .ui files, so one Resources/ folder serves both.
#
# Files are copied into the build tree (so Slicer runs from the build) and
# installed into the package. Expects Slicer_QTSCRIPTEDMODULES_LIB_DIR and
# Slicer_INSTALL_QTSCRIPTEDMODULES_LIB_DIR (set by Slicer's UseSlicer).
#-----------------------------------------------------------------------------

set(_medimgai_resource_source_dir ${CMAKE_CURRENT_LIST_DIR}/..)
file(GLOB_RECURSE _medimgai_bundled_files
  RELATIVE ${_medimgai_resource_source_dir}
  CONFIGURE_DEPENDS
  ${_medimgai_resource_source_dir}/Resources/Models/*
  ${_medimgai_resource_source_dir}/Resources/SampleData/*
  )
list(FILTER _medimgai_bundled_files EXCLUDE REGEX "(^|/)(__pycache__|\\.[^/]*)(/|$)")
list(SORT _medimgai_bundled_files)
if(NOT _medimgai_bundled_files)
  message(WARNING "MedImgAI: no bundled models or sample case found under Resources/")
endif()

foreach(_file IN LISTS _medimgai_bundled_files)
  get_filename_component(_folder ${_file} DIRECTORY)
  configure_file(
    ${_medimgai_resource_source_dir}/${_file}
    ${CMAKE_BINARY_DIR}/${Slicer_QTSCRIPTEDMODULES_LIB_DIR}/${_file}
    COPYONLY
    )
  install(
    FILES ${_medimgai_resource_source_dir}/${_file}
    DESTINATION ${Slicer_INSTALL_QTSCRIPTEDMODULES_LIB_DIR}/${_folder}
    COMPONENT RuntimeLibraries
    )
endforeach()
